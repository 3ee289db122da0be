package dev.yolotrt.notebook;

import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Keeps a notebook cell from ending the process: cells run in this JVM (so their values are live objects), where
 * {@code System.exit(3)} would end the kernel or the runner without writing the notebook. Each class JShell compiles
 * from a cell is loaded with its {@code System.exit(int)} calls pointed at {@link #exit(int)}, which throws instead:
 * one constant-pool entry changes, the code does not. A security manager did this before; Java 17 prints a
 * deprecation warning for it at every kernel start, and later versions refuse it.
 */
public final class ExitGuard {

    private static final String SYSTEM = "java/lang/System", OWNER = ExitGuard.class.getName().replace('.', '/');

    private ExitGuard() {
    }

    /** What a cell's {@code System.exit(status)} calls. */
    public static void exit(int status) {
        throw new SecurityException("System.exit(" + status + ") is not allowed in a notebook cell: it would end the kernel; throw an exception instead");
    }

    /** JShell's local execution engine, guarding each class it loads. */
    static ExecutionControlProvider engine() {
        return new ExecutionControlProvider() {
            @Override
            public String name() {
                return "yolo-trt-local";
            }

            @Override
            public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
                return new LocalExecutionControl() {
                    @Override
                    public void load(ClassBytecodes[] cbcs) throws ClassInstallException, NotImplementedException, EngineTerminationException {
                        super.load(guard(cbcs));
                    }

                    @Override
                    public void redefine(ClassBytecodes[] cbcs) throws ClassInstallException, NotImplementedException, EngineTerminationException {
                        super.redefine(guard(cbcs));
                    }
                };
            }
        };
    }

    private static ExecutionControl.ClassBytecodes[] guard(ExecutionControl.ClassBytecodes[] cbcs) {
        return Arrays.stream(cbcs).map(c -> new ExecutionControl.ClassBytecodes(c.name(), guard(c.bytecodes())))
                .toArray(ExecutionControl.ClassBytecodes[]::new);
    }

    /**
     * The class file with its {@code java/lang/System.exit:(I)V} method reference owned by this class instead (a new
     * Utf8 and Class entry appended to the constant pool), or the same bytes when it has none.
     */
    static byte[] guard(byte[] classFile) {
        ByteBuffer b = ByteBuffer.wrap(classFile);
        b.position(8);
        int count = b.getShort() & 0xffff;
        int[] offset = new int[count];
        int[] tag = new int[count];
        String[] utf8 = new String[count];
        for (int i = 1; i < count; i++) {
            offset[i] = b.position();
            tag[i] = b.get() & 0xff;
            switch (tag[i]) {
                case 1 -> {
                    byte[] s = new byte[b.getShort() & 0xffff];
                    b.get(s);
                    utf8[i] = new String(s, StandardCharsets.UTF_8);   // modified UTF-8; exact for the ASCII names compared
                }
                case 3, 4, 9, 10, 11, 12, 17, 18 -> b.position(b.position() + 4);
                case 5, 6 -> {
                    b.position(b.position() + 8);
                    i++;   // eight-byte constants take two slots
                }
                case 7, 8, 16, 19, 20 -> b.position(b.position() + 2);
                case 15 -> b.position(b.position() + 3);
                default -> throw new IllegalArgumentException("constant pool tag " + tag[i] + " at entry " + i);
            }
        }
        int end = b.position();
        int exitRef = -1;
        for (int i = 1; i < count; i++) {
            if (tag[i] != 10) continue;
            int cls = u2(classFile, offset[i] + 1), nat = u2(classFile, offset[i] + 3);
            if (SYSTEM.equals(utf8[u2(classFile, offset[cls] + 1)]) && "exit".equals(utf8[u2(classFile, offset[nat] + 1)])
                    && "(I)V".equals(utf8[u2(classFile, offset[nat] + 3)])) {
                exitRef = i;
            }
        }
        if (exitRef < 0) return classFile;
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(classFile.length + OWNER.length() + 8);
            DataOutputStream d = new DataOutputStream(out);
            d.write(classFile, 0, 8);
            d.writeShort(count + 2);
            d.write(classFile, 10, end - 10);
            d.writeByte(1);          // Utf8: this class's name, at index count
            d.writeUTF(OWNER);
            d.writeByte(7);          // Class, at index count + 1
            d.writeShort(count);
            d.write(classFile, end, classFile.length - end);
            byte[] patched = out.toByteArray();
            int at = offset[exitRef] + 1;   // the Methodref's class index, in the part copied as it was
            patched[at] = (byte) ((count + 1) >> 8);
            patched[at + 1] = (byte) (count + 1);
            return patched;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int u2(byte[] a, int at) {
        return ((a[at] & 0xff) << 8) | (a[at + 1] & 0xff);
    }
}
