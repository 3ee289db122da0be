package dev.yolotrt.model.pt;

import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.YoloException;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ClassDict;
import net.razorvine.pickle.objects.SetConstructor;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
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
 * which become plain {@link ClassDict}s holding their state); any other global is refused in one line.
 */
public final class Checkpoint implements AutoCloseable {

    /** Largest tensor accepted (elements), and largest storage entry (bytes): bounds before allocating. */
    static final long MAX_ELEMENTS = 1L << 28;
    private static final long MAX_PICKLE = 64L << 20;

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
            Safe u = new Safe(zip, prefix, file.toString());
            Object root;
            try {
                root = u.load(new ByteArrayInputStream(bytes));
            } finally {
                u.close();
            }
            return new Checkpoint(zip, prefix, root, file.toString());
        } catch (PickleException | ClassCastException | IllegalArgumentException | IndexOutOfBoundsException e) {
            close(zip);
            throw new YoloException(file + " is not a readable checkpoint: " + Downloads.oneLine(e));
        } catch (IOException e) {
            close(zip);
            throw new YoloException(file + " is truncated or damaged: " + Downloads.oneLine(e));
        } catch (YoloException e) {
            close(zip);
            throw e;
        } catch (RuntimeException e) {
            // Anything else the pickle machinery throws on a malformed file is still one line about the file.
            close(zip);
            throw new YoloException(file + " is not a readable checkpoint: " + e.getClass().getSimpleName() + " (" + Downloads.oneLine(e) + ")");
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

    /** The model object (an Ultralytics *Model as a ClassDict); EMA first as Ultralytics' loader prefers it. */
    public ClassDict model() {
        if (!(root instanceof Map<?, ?> m)) throw new YoloException(what + " holds no dict with a 'model': not an Ultralytics checkpoint");
        Object model = m.get("ema") instanceof ClassDict ema ? ema : m.get("model");
        if (!(model instanceof ClassDict c)) throw new YoloException(what + " holds no 'model' object: not an Ultralytics checkpoint");
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

    /** The Ultralytics task, from the model's class (DetectionModel → detect ...). */
    public String task() {
        String cls = model().getClassName();
        String name = cls.substring(cls.lastIndexOf('.') + 1);
        return switch (name) {
            case "DetectionModel" -> "detect";
            case "SegmentationModel" -> "segment";
            case "PoseModel" -> "pose";
            case "ClassificationModel" -> "classify";
            case "OBBModel" -> "obb";
            default -> throw new YoloException(what + " holds a " + name + ", not one of Ultralytics' five task models");
        };
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

        Tensor(ZipFile zip, String prefix, String what, Storage storage, long offset, long[] shape, long[] stride) {
            this.zip = zip;
            this.prefix = prefix;
            this.what = what;
            long n = 1;
            for (long d : shape) {
                if (d < 0 || d > MAX_ELEMENTS) throw new PickleException("tensor dimension " + d + " is out of range");
                n *= d;
                if (n > MAX_ELEMENTS) throw new PickleException("a tensor of " + java.util.Arrays.toString(shape) + " is too large");
            }
            this.storage = storage;
            this.offset = offset;
            this.shape = shape.clone();
            this.stride = stride.clone();
        }

        public long[] shape() {
            return shape.clone();
        }

        public String dtype() {
            return storage.dtype();
        }

        public int numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return (int) n;
        }

        /** The values as floats, in row-major order of {@link #shape()}. */
        public float[] floats() {
            int n = numel();
            int size = Storage.bytes(storage.dtype());
            long need = (offset + maxIndex() + 1) * size;
            byte[] raw = storage.read(zip, prefix, need, what);
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[n];
            long[] idx = new long[shape.length];
            for (int i = 0; i < n; i++) {
                long at = offset;
                for (int d = 0; d < shape.length; d++) at += idx[d] * stride[d];
                out[i] = switch (storage.dtype()) {
                    case "half" -> halfToFloat(b.getShort((int) (at * 2)));
                    case "float" -> b.getFloat((int) (at * 4));
                    case "double" -> (float) b.getDouble((int) (at * 8));
                    case "long" -> b.getLong((int) (at * 8));
                    default -> throw new YoloException(what + ": tensors of " + storage.dtype() + " are not supported");
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

        private long maxIndex() {
            long m = 0;
            for (int d = 0; d < shape.length; d++) if (shape[d] > 0) m += (shape[d] - 1) * Math.abs(stride[d]);
            return m;
        }
    }

    /** A storage entry of the zip: element type, entry key, element count. */
    record Storage(String dtype, String key, long numel) {
        static int bytes(String dtype) {
            return switch (dtype) {
                case "half" -> 2;
                case "float" -> 4;
                default -> 8;
            };
        }

        byte[] read(ZipFile zip, String prefix, long need, String what) {
            if (need > numel * bytes(dtype) || numel > MAX_ELEMENTS) throw new YoloException(what + ": storage " + key + " is smaller than its tensor");
            ZipEntry e = zip.getEntry(prefix + "/data/" + key);
            if (e == null) throw new YoloException(what + ": storage " + key + " is missing from the archive");
            try (InputStream in = zip.getInputStream(e)) {
                byte[] raw = in.readNBytes((int) (numel * bytes(dtype)));
                if (raw.length < need) throw new YoloException(what + ": storage " + key + " is truncated");
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
    private record StorageType(String dtype) {
    }

    /** The unpickler with the allow-list: resolves globals itself, never through Pyrolite's defaults. */
    private static final class Safe extends Unpickler {
        private final ZipFile zip;
        private final String prefix;
        private final String file;

        Safe(ZipFile zip, String prefix, String file) {
            this.zip = zip;
            this.prefix = prefix;
            this.file = file;
        }

        @Override
        protected Object dispatch(short key) throws PickleException, IOException {
            if (key == Opcodes.GLOBAL) {
                String module = PickleUtils.readline(input), name = PickleUtils.readline(input);
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            if (key == Opcodes.STACK_GLOBAL) {
                String name = String.valueOf(stack.pop()), module = String.valueOf(stack.pop());
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            boolean len4 = key == Opcodes.BINUNICODE || key == Opcodes.BINBYTES || key == Opcodes.BINSTRING || key == Opcodes.LONG4;
            boolean len8 = key == Opcodes.BINUNICODE8 || key == Opcodes.BINBYTES8 || key == Opcodes.BYTEARRAY8 || key == Opcodes.FRAME;
            if (len4 || len8) {
                // Length fields are checked against what is left before anything is allocated for them.
                input.mark(8);
                byte[] n = input.readNBytes(len4 ? 4 : 8);
                input.reset();
                long len = 0;
                for (int i = n.length - 1; i >= 0; i--) len = (len << 8) | (n[i] & 0xff);
                if (len4) len = (int) len; // signed, as pickle's 4-byte lengths are
                if (key != Opcodes.FRAME && (len < 0 || len > input.available() - n.length)) {
                    throw new PickleException("a length field of " + len + " runs past the end of the pickle");
                }
            }
            return super.dispatch(key);
        }

        private Object resolve(String module, String name) {
            String full = module + "." + name;
            if (STORAGES.containsKey(full)) return new StorageType(STORAGES.get(full));
            return switch (full) {
                case "collections.OrderedDict" -> (IObjectConstructor) args -> new LinkedHashMap<String, Object>();
                case "__builtin__.set", "builtins.set" -> new SetConstructor();
                case "torch.Size" -> (IObjectConstructor) args -> args.length == 1 ? args[0] : List.of();
                case "torch._utils._rebuild_tensor_v2" -> (IObjectConstructor) this::rebuildTensor;
                case "torch._utils._rebuild_parameter" -> (IObjectConstructor) args -> args[0];
                default -> {
                    if (PLAIN_DATA_PREFIXES.stream().anyMatch(full::startsWith)) yield plainData(module, name);
                    throw new PickleException("it asks for " + full + ", which is not on the checkpoint allow-list (nothing was run)");
                }
            };
        }

        /** Module classes and enums as data: a ClassDict, whose state BUILD fills in; constructor arguments kept. */
        private IObjectConstructor plainData(String module, String name) {
            return args -> {
                ClassDict d = new ClassDict(module, name);
                if (args.length > 0) d.put("__args__", List.of(args));
                return d;
            };
        }

        private Object rebuildTensor(Object[] args) {
            if (args.length < 4 || !(args[0] instanceof Storage s)) throw new PickleException("malformed tensor rebuild");
            return new Tensor(zip, prefix, file, s, ((Number) args[1]).longValue(), longs(args[2]), longs(args[3]));
        }

        private long[] longs(Object o) {
            Object[] a = o instanceof Object[] x ? x : o instanceof List<?> l ? l.toArray() : new Object[] {o};
            long[] out = new long[a.length];
            for (int i = 0; i < a.length; i++) out[i] = ((Number) a[i]).longValue();
            return out;
        }

        /** torch's persistent ids: ('storage', storage class, key, location, numel). */
        @Override
        protected Object persistentLoad(Object pid) {
            if (!(pid instanceof Object[] t) || t.length < 5 || !"storage".equals(t[0]) || !(t[1] instanceof StorageType type)) {
                throw new PickleException("unexpected persistent id in " + file);
            }
            long numel = ((Number) t[4]).longValue();
            if (numel < 0 || numel > MAX_ELEMENTS) throw new PickleException("a storage of " + numel + " elements is out of range");
            String key = String.valueOf(t[2]);
            if (!key.matches("\\w{1,32}")) throw new PickleException("storage key '" + key + "' is not a plain name");
            return new Storage(type.dtype(), key, numel);
        }
    }

    @Override
    public void close() {
        close(zip);
    }
}
