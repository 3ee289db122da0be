package dev.yolotrt.pt;

import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints built to hurt the reader, one per class of defect an attacker found: each must end in one line
 * about the file within a second, with bounded memory, and never with a Java exception's name.
 */
class HostileCheckpointTest {

    @TempDir
    Path tmp;

    @Test
    void aTextIntegerOfAMillionDigitsIsRefusedAtOnce() throws Exception {
        // INT with 10^6 digits: BigInteger's parse is quadratic, minutes of CPU for 1 MB.
        Pickler p = new Pickler().proto().op('I').text("9".repeat(1_000_000)).op('.');
        String m = refused(p);
        assertTrue(m.contains("text argument longer than 4302 bytes"), m);
        // LONG with Python's own limit of digits still reads.
        Object v = Pickle.load(new Pickler().proto().op('L').text("7".repeat(4300) + "L").op('.').bytes(), NOTHING);
        assertEquals(4300, v.toString().length());
    }

    @Test
    void aSmallPickleCannotAskForGigabytes() throws Exception {
        // One dict of 6,000 entries BUILT into 6,000 objects: 36 million entries from a pickle of about 90 KB.
        Pickler p = new Pickler().proto().op('}').op('(');
        for (int i = 0; i < 6_000; i++) p.shortText("k" + i).op('N');
        p.op('u').op('q').u8(0).op('0'); // memo[0] = the dict, popped
        p.global("ultralytics.nn.modules.conv", "Conv").op('q').u8(1).op('0'); // memo[1] = the class
        p.op(']').op('(');
        for (int i = 0; i < 6_000; i++) p.op('h').u8(1).op(')').op(0x81).op('h').u8(0).op('b');
        p.op('e').op('.');
        assertTrue(p.bytes().length < 100_000);
        String m = refused(p);
        assertTrue(m.contains("more than") && m.contains("per byte"), m);
    }

    @Test
    void instGoesThroughTheAllowList() throws Exception {
        // INST names its class inline: it must be refused like GLOBAL.
        String m = refused(new Pickler().proto().op('(').shortText("echo pwned").op('i').text("posix").text("system").op('.'));
        assertTrue(m.contains("posix.system, which is not on the checkpoint allow-list"), m);
        // and an allowed class through INST becomes data.
        Object o = Pickle.load(new Pickler().proto().op('(').op('i').text("ultralytics.nn.modules.conv").text("Conv").op('.').bytes(),
                new Pickle.Resolver() {
                    @Override
                    public Pickle.Call resolve(String module, String name) {
                        return args -> new PyObject(module, name);
                    }

                    @Override
                    public Object persistent(Object pid) {
                        throw new Pickle.Bad("none");
                    }
                });
        assertEquals("ultralytics.nn.modules.conv.Conv", ((PyObject) o).className());
        // OBJ, EXT and a call of something that is not a class are refused too.
        assertTrue(refused(new Pickler().proto().op('(').shortText("x").op('o').op('.')).contains("calls a str"));
        assertTrue(refused(new Pickler().proto().op(0x82).u8(1).op('.')).contains("extension registry"));
    }

    @Test
    void tensorOffsetsAndStridesNearTwoToTheSixtyTwoAreRefused() throws Exception {
        long big = 1L << 62;
        assertTrue(refused(tensor(big, new long[] {4}, new long[] {1})).contains("reaches element"));
        assertTrue(refused(tensor(0, new long[] {4, 4}, new long[] {big, big})).contains("overflow 64 bits"));
        assertTrue(refused(tensor(-1, new long[] {4}, new long[] {1})).contains("offset -1 is negative"));
        assertTrue(refused(tensor(0, new long[] {4}, new long[] {-1})).contains("stride -1 is negative"));
        // A stride of 0 viewing 2^27 elements of a 16-element storage: 512 MB of floats from 64 bytes.
        assertTrue(refused(tensor(0, new long[] {1L << 27}, new long[] {0})).contains("views storage"));
        assertTrue(refused(tensor(0, new long[] {4, 4}, new long[] {1})).contains("2 dimensions but 1 strides"));
        // A zero dimension is a legal empty tensor: it reads, and has no values.
        try (Checkpoint c = Checkpoint.read(pt("empty", tensor(0, new long[] {0, 3}, new long[] {3, 1}).bytes(), 64))) {
            var t = (Checkpoint.Tensor) ((java.util.Map<?, ?>) c.root()).get("w");
            assertEquals(0, t.floats().length);
        }
    }

    @Test
    void deepAndCyclicNestingEndInOneLine() throws Exception {
        // 200,000 nested lists, then used as a dict key; and a list that holds itself.
        Pickler deep = new Pickler().proto().op('}');
        for (int i = 0; i < 200_000; i++) deep.op(']');
        for (int i = 0; i < 199_999; i++) deep.op('a');
        deep.op('N').op('s').op('.');
        assertTrue(refused(deep).contains("a list is used as a dict key"));
        // A model whose submodule is itself.
        Pickler cyclic = new Pickler().proto().op('}').shortText("model").global("ultralytics.nn.tasks", "DetectionModel").op(')').op(0x81)
                .op('q').u8(1).op('}').shortText("_modules").op('}').shortText("model").op('h').u8(1).op('s').op('s').op('b').op('s').op('.');
        Path f = pt("cyclic", cyclic.bytes(), 0);
        YoloException e = assertThrows(YoloException.class, () -> Converted.onnx(f, tmp.resolve("cache")));
        assertOneLine(e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
        try (Checkpoint c = Checkpoint.read(f)) {
            assertEquals(f + ": modules nested more than 64 deep", assertThrows(YoloException.class, c::stateDict).getMessage());
        }
    }

    @Test
    void badStructureIsSaidInWordsNotJavaExceptionNames() throws Exception {
        // A DetectionModel whose layer 0 is a str: the converter's cast fails.
        Pickler p = new Pickler().proto().op('}').shortText("model").global("ultralytics.nn.tasks", "DetectionModel").op(')').op(0x81)
                .op('}').shortText("_modules").op('}').shortText("model").global("torch.nn.modules.container", "Sequential").op(')').op(0x81)
                .op('}').shortText("_modules").op('}').shortText("0").shortText("not a module").op('s').op('s').op('b')
                .op('s').op('s').op('b').op('s').op('.');
        Path f = pt("strlayer", p.bytes(), 0);
        YoloException e = assertThrows(YoloException.class, () -> Converted.onnx(f, tmp.resolve("cache")));
        assertEquals("strlayer.pt (an Ultralytics detect checkpoint) cannot be converted in Java: layer 0: a field holds a value of the wrong type."
                + " Export it once with `yolo export model=strlayer.pt format=onnx` and load the .onnx", e.getMessage());
    }

    @Test
    void aStorageThatWouldInflateLikeAZipBombIsRefusedBeforeReading() throws Exception {
        Pickler p = tensor(0, new long[] {1 << 24}, new long[] {1}, 1 << 24);
        Path f = tmp.resolve("bomb.pt");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            z.putNextEntry(new ZipEntry("bomb/data.pkl"));
            z.write(p.bytes());
            z.putNextEntry(new ZipEntry("bomb/data/0"));
            z.write(new byte[1 << 26]); // 64 MB of zeros deflate to about 64 KB
        }
        assertTrue(Files.size(f) < 200_000);
        YoloException e = assertThrows(YoloException.class, () -> Checkpoint.read(f));
        assertTrue(e.getMessage().contains("would inflate"), e.getMessage());
    }

    // --- helpers ----------------------------------------------------------------------------------

    private static final Pickle.Resolver NOTHING = new Pickle.Resolver() {
        @Override
        public Pickle.Call resolve(String module, String name) {
            throw new Pickle.Bad("no globals");
        }

        @Override
        public Object persistent(Object pid) {
            throw new Pickle.Bad("no storages");
        }
    };

    private Pickler tensor(long offset, long[] shape, long[] stride) {
        return tensor(offset, shape, stride, 16);
    }

    /** {'w': _rebuild_tensor_v2(storage('0', float, numel), offset, shape, stride, False, OrderedDict())}. */
    private static Pickler tensor(long offset, long[] shape, long[] stride, long numel) {
        Pickler p = new Pickler().proto().op('}').shortText("w").global("torch._utils", "_rebuild_tensor_v2").op('(')
                .op('(').shortText("storage").global("torch", "FloatStorage").shortText("0").shortText("cpu").longInt(numel).op('t').op('Q')
                .longInt(offset).op('(');
        for (long d : shape) p.longInt(d);
        p.op('t').op('(');
        for (long s : stride) p.longInt(s);
        p.op('t').op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R').op('s').op('.');
        return p;
    }

    /** Reads the pickle as a checkpoint (with a 16-float storage "0") and returns the one-line refusal. */
    private String refused(Pickler p) throws Exception {
        Path f = pt("hostile", p.bytes(), 64);
        YoloException e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(2),
                () -> assertThrows(YoloException.class, () -> {
                    try (Checkpoint c = Checkpoint.read(f)) {
                        c.stateDict();
                    }
                }));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertOneLine(e.getMessage());
        return e.getMessage();
    }

    private Path pt(String name, byte[] pickle, int storageBytes) throws Exception {
        Path f = tmp.resolve(name + ".pt");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            z.putNextEntry(new ZipEntry(name + "/data.pkl"));
            z.write(pickle);
            if (storageBytes > 0) {
                z.putNextEntry(new ZipEntry(name + "/data/0"));
                z.write(new byte[storageBytes]);
            }
        }
        return f;
    }

    private static void assertOneLine(String m) {
        assertFalse(m.contains("\n"), m);
        assertTrue(m.length() < 400, m.length() + " characters");
    }

    /** Writes pickle opcodes by hand. */
    static final class Pickler {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickler proto() {
            return op(0x80).u8(2);
        }

        Pickler op(int code) {
            out.write(code);
            return this;
        }

        Pickler u8(int v) {
            out.write(v);
            return this;
        }

        Pickler text(String line) {
            out.writeBytes((line + "\n").getBytes(StandardCharsets.ISO_8859_1));
            return this;
        }

        Pickler shortText(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write(0x8c);
            out.write(b.length);
            out.writeBytes(b);
            return this;
        }

        Pickler global(String module, String name) {
            return op('c').text(module).text(name);
        }

        /** LONG1 with 8 bytes, little-endian. */
        Pickler longInt(long v) {
            out.write(0x8a);
            out.write(8);
            for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)) & 0xff);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
