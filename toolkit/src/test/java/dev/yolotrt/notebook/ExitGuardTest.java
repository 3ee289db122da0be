package dev.yolotrt.notebook;

import org.junit.jupiter.api.Test;

import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExitGuardTest {

    /** Compiles one class with javac, in memory. */
    static byte[] compile(String name, String source) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        var fm = new javax.tools.ForwardingJavaFileManager<>(ToolProvider.getSystemJavaCompiler().getStandardFileManager(null, null, null)) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location l, String cls, JavaFileObject.Kind k, javax.tools.FileObject s) {
                return new SimpleJavaFileObject(URI.create("mem:///" + cls + ".class"), k) {
                    @Override
                    public OutputStream openOutputStream() {
                        return bytes;
                    }
                };
            }
        };
        JavaFileObject src = new SimpleJavaFileObject(URI.create("string:///" + name + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean b) {
                return source;
            }
        };
        assertTrue(ToolProvider.getSystemJavaCompiler().getTask(null, fm, null, List.of("-proc:none"), null, List.of(src)).call());
        return bytes.toByteArray();
    }

    @SuppressWarnings("unchecked")
    static Callable<Object> load(String name, byte[] bytes) throws ReflectiveOperationException {
        ClassLoader l = new ClassLoader(ExitGuardTest.class.getClassLoader()) {
            @Override
            protected Class<?> findClass(String n) throws ClassNotFoundException {
                if (!n.equals(name)) throw new ClassNotFoundException(n);
                return defineClass(n, bytes, 0, bytes.length);
            }
        };
        return (Callable<Object>) l.loadClass(name).getDeclaredConstructor().newInstance();
    }

    @Test
    void exitInACompiledClassThrowsAndTheRestStillRuns() throws Exception {
        // A long and a double constant (two pool slots each), strings and other System calls around the exit.
        byte[] original = compile("Cell", """
                public class Cell implements java.util.concurrent.Callable<Object> {
                    public Object call() {
                        long big = 1234567890123L; double d = 2.5;
                        System.out.println("before " + big + d + System.lineSeparator().length());
                        Runnable r = () -> System.exit(4);
                        if (big > 0) System.exit(3);
                        return "not reached";
                    }
                }
                """);
        byte[] guarded = ExitGuard.guard(original);
        // two entries appended: Utf8 (tag, length, the name) and Class (tag, index)
        assertEquals(original.length + 3 + "dev/yolotrt/notebook/ExitGuard".length() + 3, guarded.length);
        var e = assertThrows(InvocationTargetException.class, () -> Callable.class.getMethod("call").invoke(load("Cell", guarded)));
        assertEquals("System.exit(3) is not allowed in a notebook cell: it would end the kernel; throw an exception instead",
                e.getCause().getMessage());
    }

    @Test
    void classesWithoutExitAreLeftAlone() throws Exception {
        byte[] original = compile("Plain", """
                public class Plain implements java.util.concurrent.Callable<Object> {
                    public Object call() { return System.getProperty("java.version") + Runtime.getRuntime().availableProcessors(); }
                }
                """);
        assertArrayEquals(original, ExitGuard.guard(original));
        assertTrue(String.valueOf(load("Plain", original).call()).startsWith(System.getProperty("java.version")));
    }

    @Test
    void aCellThatExitsFailsWithTheLineAndTheKernelGoesOn() throws Exception {
        try (JShellEvaluator shell = new JShellEvaluator()) {
            Exception e = assertThrows(Exception.class, () -> shell.eval("System.exit(3);"));
            String message = e instanceof JShellEvaluator.CellException ? e.getMessage() : JShellEvaluator.describe(e);
            assertTrue(message.contains("System.exit(3) is not allowed in a notebook cell"), message);
            assertEquals(42, ((Number) shell.eval("6 * 7").value()).intValue());
        }
    }
}
