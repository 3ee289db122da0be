package dev.yolotrt.pt;

import dev.yolotrt.task.Task;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * An Ultralytics {@code .pt} checkpoint read as plain data: a zip holding {@code <name>/data.pkl} (a
 * protocol-2 pickle) and one entry per tensor storage. A pickle is a program, so this unpickler runs
 * none of it: the only callables it resolves are a strict allow-list (torch storages and tensor
 * rebuilds, OrderedDict, set, torch.Size, and torch / torchvision / Ultralytics module classes,
 * which become plain {@link PyObject}s holding their state); any other global is refused in one line.
 */
public final class Checkpoint implements AutoCloseable {

    /** Largest tensor accepted (elements), and largest storage entry (bytes): bounds before allocating. */
    static final long MAX_ELEMENTS = 1L << 28;
    private static final long MAX_PICKLE = 64L << 20;
    /** How far a storage entry may inflate: torch stores them uncompressed, so anything near this is a zip bomb. */
    private static final long MAX_INFLATION = 64;

    private static final Set<String> PLAIN_DATA_PREFIXES = Set.of("torch.nn.modules.", "ultralytics.nn.modules.", "ultralytics.nn.tasks.",
            "torchvision.transforms.");

    private final ZipFile zip;
    private final String prefix;
    private final Object root;
    private final String what;

    private Checkpoint(ZipFile zip, String prefix, Object root, String what) {
        this.zip = zip;
        this.prefix = prefix;
        this.root = root;
        this.what = what;
    }

    /** Opens and unpickles {@code file}; one line names the file and the problem otherwise. */
    public static Checkpoint read(Path file) {
        if (!Files.isRegularFile(file)) throw new YoloException("checkpoint not found: " + file);
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new YoloException(file + " is not a PyTorch checkpoint (not a zip archive: " + Downloads.oneLine(e)
                    + "); Ultralytics .pt files saved by torch >= 1.6 are zips");
        } catch (IOException e) {
            throw new YoloException("cannot read " + file + ": " + Downloads.oneLine(e));
        }
        try {
            ZipEntry pkl = null;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (e.getName().endsWith("/data.pkl") && e.getName().indexOf('/') == e.getName().lastIndexOf('/')) pkl = e;
            }
            if (pkl == null) throw new YoloException(file + " holds no <name>/data.pkl: not a PyTorch checkpoint");
            if (pkl.getSize() > MAX_PICKLE) throw new YoloException(file + ": its pickle is " + pkl.getSize() + " bytes, too large for a checkpoint");
            String prefix = pkl.getName().substring(0, pkl.getName().indexOf('/'));
            byte[] bytes;
            try (InputStream in = zip.getInputStream(pkl)) {
                bytes = in.readNBytes((int) MAX_PICKLE + 1);
            }
            if (bytes.length > MAX_PICKLE) throw new YoloException(file + ": its pickle inflates past " + (MAX_PICKLE >> 20) + " MiB, too large for a checkpoint");
            Object root = Pickle.load(bytes, new Allowed(zip, prefix, file.toString()));
            return new Checkpoint(zip, prefix, root, file.toString());
        } catch (Pickle.Bad e) {
            close(zip);
            throw new YoloException(file + " is not a readable checkpoint: " + e.getMessage());
        } catch (IOException e) {
            close(zip);
            throw new YoloException(file + " is truncated or damaged: " + Downloads.oneLine(e));
        } catch (RuntimeException | StackOverflowError e) {
            close(zip);
            throw e instanceof YoloException y ? y : new YoloException(file + " is not a readable checkpoint: " + Damage.describe(e));
        }
    }

    private static void close(ZipFile z) {
        try {
            z.close();
        } catch (IOException ignored) {
            // nothing more to free
        }
    }

    /** The unpickled object: for Ultralytics a map with model, train_args, version, date ... */
    public Object root() {
        return root;
    }

    /** The model object (an Ultralytics *Model as a PyObject); EMA first as Ultralytics' loader prefers it. */
    public PyObject model() {
        if (!(root instanceof Map<?, ?> m)) throw new YoloException(what + " holds no dict with a 'model': not an Ultralytics checkpoint");
        Object model = m.get("ema") instanceof PyObject ema ? ema : m.get("model");
        if (!(model instanceof PyObject c)) throw new YoloException(what + " holds no 'model' object: not an Ultralytics checkpoint");
        return c;
    }

    /** The image size the model was trained at (train_args.imgsz), 640 when the checkpoint does not say. */
    public int imgsz() {
        if (root instanceof Map<?, ?> m && m.get("train_args") instanceof Map<?, ?> args && args.get("imgsz") instanceof Number n
                && n.intValue() >= 32 && n.intValue() <= 16_384) {
            return n.intValue();
        }
        return 640;
    }

    /** The Ultralytics task's name, from the model's class (DetectionModel → detect ...), as the ONNX metadata records it. */
    public String task() {
        return kind().id();
    }

    /** The Ultralytics task, from the model's class (DetectionModel → detect ...). */
    public Task kind() {
        String cls = model().className();
        String name = cls.substring(cls.lastIndexOf('.') + 1);
        Task t = Task.ofModelClass(name);
        if (t == null) throw new YoloException(what + " holds a " + name + ", not one of Ultralytics' five task models");
        return t;
    }

    /**
     * Every parameter and buffer of the model by its state-dict name ({@code model.0.conv.weight} ...),
     * walking {@code _modules} as torch's state_dict() does.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        walk(model(), "", out, 0);
        return out;
    }

    private void walk(Map<?, ?> module, String path, Map<String, Tensor> out, int depth) {
        if (depth > 64) throw new YoloException(what + ": modules nested more than 64 deep");
        for (String kind : List.of("_parameters", "_buffers")) {
            if (module.get(kind) instanceof Map<?, ?> params) {
                params.forEach((k, v) -> {
                    if (v instanceof Tensor t) out.put(path + k, t);
                });
            }
        }
        if (module.get("_modules") instanceof Map<?, ?> children) {
            children.forEach((k, v) -> {
                if (v instanceof Map<?, ?> child) walk(child, path + k + ".", out, depth + 1);
            });
        }
    }

    /** A tensor of a storage: element type, offset, shape and strides; values read from the zip on demand. */
    public static final class Tensor {
        private final ZipFile zip;
        private final String prefix;
        private final String what;
        private final Storage storage;
        private final long offset;
        private final long[] shape;
        private final long[] stride;
        private final int numel;

        /** Checks the view against its storage with exact arithmetic, so no offset or stride can overflow past the check. */
        Tensor(ZipFile zip, String prefix, String what, Storage storage, long offset, long[] shape, long[] stride) {
            if (shape.length != stride.length) throw new Pickle.Bad("a tensor has " + shape.length + " dimensions but " + stride.length + " strides");
            if (offset < 0) throw new Pickle.Bad("a tensor's offset " + offset + " is negative");
            long n = 1, last = offset;
            try {
                for (int d = 0; d < shape.length; d++) {
                    if (shape[d] < 0) throw new Pickle.Bad("a tensor's dimension " + shape[d] + " is negative");
                    if (stride[d] < 0) throw new Pickle.Bad("a tensor's stride " + stride[d] + " is negative");
                    n = Math.multiplyExact(n, shape[d]);
                    if (shape[d] > 0) last = Math.addExact(last, Math.multiplyExact(shape[d] - 1, stride[d]));
                }
            } catch (ArithmeticException e) {
                throw new Pickle.Bad("a tensor's shape, strides or offset overflow 64 bits");
            }
            if (n > MAX_ELEMENTS) throw new Pickle.Bad("a tensor of " + n + " elements is too large");
            if (n > 0 && last >= storage.numel()) {
                throw new Pickle.Bad("a tensor reaches element " + last + " of storage " + storage.key() + ", which holds " + storage.numel());
            }
            if (n > storage.numel()) throw new Pickle.Bad("a tensor of " + n + " elements views storage " + storage.key() + " of " + storage.numel());
            this.zip = zip;
            this.prefix = prefix;
            this.what = what;
            this.storage = storage;
            this.offset = offset;
            this.shape = shape.clone();
            this.stride = stride.clone();
            this.numel = (int) n;
        }

        public long[] shape() {
            return shape.clone();
        }

        public String dtype() {
            return storage.dtype();
        }

        public int numel() {
            return numel;
        }

        /** The values as floats, in row-major order of {@link #shape()}. */
        public float[] floats() {
            if (!List.of("half", "float", "double", "long").contains(storage.dtype())) {
                throw new YoloException(what + ": tensors of " + storage.dtype() + " are not supported");
            }
            ByteBuffer b = ByteBuffer.wrap(storage.read(zip, prefix, what)).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[numel];
            long[] idx = new long[shape.length];
            for (int i = 0; i < numel; i++) {
                long at = offset;
                for (int d = 0; d < shape.length; d++) at += idx[d] * stride[d];
                out[i] = switch (storage.dtype()) {
                    case "half" -> halfToFloat(b.getShort((int) (at * 2)));
                    case "float" -> b.getFloat((int) (at * 4));
                    case "double" -> (float) b.getDouble((int) (at * 8));
                    default -> b.getLong((int) (at * 8));
                };
                for (int d = shape.length - 1; d >= 0; d--) {
                    if (++idx[d] < shape[d]) break;
                    idx[d] = 0;
                }
            }
            return out;
        }

        /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
        static float halfToFloat(short h) {
            int bits = h & 0xffff, sign = (bits & 0x8000) << 16, exp = (bits >> 10) & 0x1f, mant = bits & 0x3ff;
            if (exp == 0) return Float.intBitsToFloat(sign) + (sign != 0 ? -1 : 1) * mant * 0x1p-24f; // zero, subnormal
            if (exp == 31) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));             // inf, NaN
            return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
        }
    }

    /** A storage entry of the zip: element type, entry key, element count (checked against the entry when pickled). */
    record Storage(String dtype, String key, long numel) {
        static int bytes(String dtype) {
            return switch (dtype) {
                case "half", "bfloat16" -> 2;
                case "float", "int" -> 4;
                default -> 8;
            };
        }

        byte[] read(ZipFile zip, String prefix, String what) {
            long size = numel * bytes(dtype);
            if (size > Integer.MAX_VALUE - 16) throw new YoloException(what + ": storage " + key + " is larger than 2 GB");
            try (InputStream in = zip.getInputStream(zip.getEntry(prefix + "/data/" + key))) {
                byte[] raw = in.readNBytes((int) size);
                if (raw.length < size) throw new YoloException(what + ": storage " + key + " is truncated (" + raw.length + " of " + size + " bytes)");
                return raw;
            } catch (IOException ex) {
                throw new YoloException(what + ": cannot read storage " + key + ": " + Downloads.oneLine(ex));
            }
        }
    }

    /** The storage classes torch pickles, by element type. */
    private static final Map<String, String> STORAGES = Map.of("torch.HalfStorage", "half", "torch.FloatStorage", "float",
            "torch.DoubleStorage", "double", "torch.LongStorage", "long", "torch.IntStorage", "int", "torch.BFloat16Storage", "bfloat16");

    /** A marker for an allowed storage class on the pickle stack. */
    private record StorageType(String dtype) implements Pickle.Call {
        @Override
        public Object call(Object[] args) {
            throw new Pickle.Bad("a storage class is called directly");
        }
    }

    /** The allow-list: the only globals a checkpoint may name, each turned into data, never run. */
    private static final class Allowed implements Pickle.Resolver {
        private final ZipFile zip;
        private final String prefix;
        private final String file;

        Allowed(ZipFile zip, String prefix, String file) {
            this.zip = zip;
            this.prefix = prefix;
            this.file = file;
        }

        @Override
        public Pickle.Call resolve(String module, String name) {
            String full = module + "." + name;
            if (STORAGES.containsKey(full)) return new StorageType(STORAGES.get(full));
            return switch (full) {
                case "collections.OrderedDict" -> args -> new LinkedHashMap<String, Object>();
                case "__builtin__.set", "builtins.set" -> args -> {
                    if (args.length == 1 && args[0] instanceof List<?> l) return new LinkedHashSet<>(l);
                    if (args.length == 0) return new LinkedHashSet<>();
                    throw new Pickle.Bad("set() with " + args.length + " arguments");
                };
                case "torch.Size" -> args -> args.length == 1 ? args[0] : List.of();
                case "torch._utils._rebuild_tensor_v2" -> this::rebuildTensor;
                case "torch._utils._rebuild_parameter" -> args -> {
                    if (args.length == 0) throw new Pickle.Bad("a parameter without a tensor");
                    return args[0];
                };
                default -> {
                    if (PLAIN_DATA_PREFIXES.stream().anyMatch(full::startsWith)) yield plainData(module, name);
                    throw new Pickle.Bad("it asks for " + full + ", which is not on the checkpoint allow-list (nothing was run)");
                }
            };
        }

        /** Module classes and enums as data: a PyObject, whose state BUILD fills in; constructor arguments kept. */
        private static Pickle.Call plainData(String module, String name) {
            return args -> {
                PyObject d = new PyObject(module, name);
                if (args.length > 0) d.put("__args__", List.of(args));
                return d;
            };
        }

        private Object rebuildTensor(Object[] args) {
            if (args.length < 4 || !(args[0] instanceof Storage s)) throw new Pickle.Bad("malformed tensor rebuild");
            return new Tensor(zip, prefix, file, s, integer(args[1], "a tensor's offset"), longs(args[2], "a tensor's shape"),
                    longs(args[3], "a tensor's strides"));
        }

        private static long integer(Object o, String what) {
            if (o instanceof Long l) return l;
            if (o instanceof Integer i) return i;
            throw new Pickle.Bad(what + " is a " + Pickle.type(o) + ", not a 64-bit integer");
        }

        private static long[] longs(Object o, String what) {
            Object[] a = o instanceof Object[] x ? x : o instanceof List<?> l ? l.toArray() : new Object[] {o};
            if (a.length > 16) throw new Pickle.Bad(what + " has " + a.length + " dimensions");
            long[] out = new long[a.length];
            for (int i = 0; i < a.length; i++) out[i] = integer(a[i], what);
            return out;
        }

        /** torch's persistent ids: ('storage', storage class, key, location, numel). */
        @Override
        public Object persistent(Object pid) {
            if (!(pid instanceof Object[] t) || t.length < 5 || !"storage".equals(t[0]) || !(t[1] instanceof StorageType type)) {
                throw new Pickle.Bad("unexpected persistent id (not a torch storage)");
            }
            long numel = integer(t[4], "a storage's size");
            if (numel < 0 || numel > MAX_ELEMENTS) throw new Pickle.Bad("a storage of " + numel + " elements is out of range");
            if (!(t[2] instanceof String key) || !key.matches("\\w{1,32}")) throw new Pickle.Bad("a storage key is not a plain name");
            ZipEntry e = zip.getEntry(prefix + "/data/" + key);
            if (e == null) throw new Pickle.Bad("storage " + key + " is missing from the archive");
            long bytes = numel * Storage.bytes(type.dtype());
            // Declared sizes are checked before anything is read: a storage larger than its entry, or an entry that
            // would inflate far beyond what it takes in the file (a zip bomb), is refused.
            if (e.getSize() >= 0 && e.getSize() < bytes) throw new Pickle.Bad("storage " + key + " holds " + e.getSize() + " bytes, less than its " + bytes);
            if (e.getCompressedSize() >= 0 && bytes > (1L << 20) + MAX_INFLATION * e.getCompressedSize()) {
                throw new Pickle.Bad("storage " + key + " would inflate " + e.getCompressedSize() + " bytes to " + bytes);
            }
            return new Storage(type.dtype(), key, numel);
        }
    }

    @Override
    public void close() {
        close(zip);
    }
}
