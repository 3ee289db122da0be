package dev.yolotrt.pt;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle machine that runs nothing and whose work is bounded by the pickle's size. A pickle is a program;
 * this one only builds data: None, bools, ints ({@code Long}, or {@code BigInteger} past 64 bits), floats
 * ({@code Double}), str, bytes, tuples ({@code Object[]}), lists, dicts (insertion-ordered), sets, and
 * objects ({@link PyObject}). Every opcode that names or calls a class (GLOBAL, STACK_GLOBAL, INST, OBJ,
 * REDUCE, NEWOBJ, NEWOBJ_EX, EXT1/2/4) goes through one {@link Resolver}; nothing else can create a callable.
 *
 * <p>Why not a general unpickler: a 64 KB pickle can otherwise ask for gigabytes (the same dict merged into
 * thousands of objects), a text integer with millions of digits costs minutes to parse, and deep or cyclic
 * nesting overflows the stack as soon as something hashes or prints it. Here every element copied counts
 * against a budget proportional to the pickle's length, text numbers are limited to Python's own 4,300
 * digits, dict keys and set members must be scalars (so nothing recursive is ever hashed), and errors name
 * types, never print values.
 */
final class Pickle {

    /** Turns a global (module, name) into a callable, or refuses it by throwing {@link Bad}. */
    interface Resolver {
        Call resolve(String module, String name);

        /** torch's persistent ids, e.g. ('storage', storage class, key, location, numel). */
        Object persistent(Object pid);
    }

    /** A callable that the resolver allowed; nothing else on the stack can be called. */
    interface Call {
        Object call(Object[] args);
    }

    /** A malformed or refused pickle; the message says what, never quoting the pickle's values. */
    static final class Bad extends RuntimeException {
        Bad(String message) {
            super(message);
        }
    }

    /** Python's default limit on the digits of an int read from text (sys.int_info.default_max_str_digits). */
    static final int MAX_TEXT_DIGITS = 4300;
    /** Longest binary int (LONG1/LONG4) accepted: 8,192 bits, far beyond any number a checkpoint holds. */
    static final int MAX_LONG_BYTES = 1024;
    /** Elements created or copied per byte of pickle, plus a fixed allowance. */
    static final long WORK_PER_BYTE = 8, WORK_BASE = 1 << 20;

    private final byte[] in;
    private final Resolver resolver;
    private final long budget;
    private int pos;
    private long work;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final HashMap<Long, Object> memo = new HashMap<>();

    private Pickle(byte[] in, Resolver resolver) {
        this.in = in;
        this.resolver = resolver;
        this.budget = WORK_BASE + WORK_PER_BYTE * in.length;
    }

    /** The object the pickle describes. */
    static Object load(byte[] pickle, Resolver resolver) {
        return new Pickle(pickle, resolver).run();
    }

    private Object run() {
        while (true) {
            int at = pos;
            int op = u8();
            spend(1);
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto > 5) throw new Bad("pickle protocol " + proto + " is newer than 5");
                }
                case 0x95 -> skip(len(8)); // FRAME: only a read-ahead hint
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) throw new Bad("the pickle stops with " + stack.size() + " values on its stack");
                    return stack.get(0);
                }
                case '(' -> marks.add(stack.size()); // MARK
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) le(4, true)); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) le(2, false)); // BININT2
                case 0x8a -> push(binaryLong(u8())); // LONG1
                case 0x8b -> push(binaryLong(len(4))); // LONG4
                case 'I' -> push(textInt(line(MAX_TEXT_DIGITS + 2), false)); // INT (also 00 / 01 for bools)
                case 'L' -> push(textInt(line(MAX_TEXT_DIGITS + 2), true)); // LONG
                case 'F' -> push(textFloat(line(64))); // FLOAT
                case 'G' -> push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble()); // BINFLOAT
                case 'X' -> push(utf8(bytes(len(4)))); // BINUNICODE
                case 0x8c -> push(utf8(bytes(u8()))); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(bytes(len(8)))); // BINUNICODE8
                case 'T', 'B' -> push(bytes(len(4))); // BINSTRING, BINBYTES (py2 str read as bytes)
                case 'U', 'C' -> push(bytes(u8())); // SHORT_BINSTRING, SHORT_BINBYTES
                case 0x8e, 0x96 -> push(bytes(len(8))); // BINBYTES8, BYTEARRAY8
                case 'V' -> push(rawUnicodeEscape(line(in.length))); // UNICODE
                case 'S' -> push(quoted(line(in.length))); // STRING
                case ')' -> push(new Object[0]); // EMPTY_TUPLE
                case 0x85, 0x86, 0x87 -> push(tupleOfLast(op - 0x84)); // TUPLE1..3
                case 't' -> push(fromMark().toArray()); // TUPLE
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case 'l' -> push(new ArrayList<>(fromMark())); // LIST
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case 'd' -> { // DICT
                    Map<Object, Object> d = new LinkedHashMap<>();
                    putPairs(d, fromMark());
                    push(d);
                }
                case 0x8f -> push(new LinkedHashSet<>()); // EMPTY_SET
                case 0x91 -> push(addTo(new LinkedHashSet<>(), fromMark())); // FROZENSET
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek(), "APPEND").add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = fromMark();
                    list(peek(), "APPENDS").addAll(items);
                }
                case 's' -> { // SETITEM
                    Object v = pop(), k = pop();
                    putPairs(dict(peek(), "SETITEM"), Arrays.asList(k, v));
                }
                case 'u' -> { // SETITEMS
                    List<Object> pairs = fromMark();
                    putPairs(dict(peek(), "SETITEMS"), pairs);
                }
                case 0x90 -> { // ADDITEMS
                    List<Object> items = fromMark();
                    if (!(peek() instanceof Set<?>)) throw new Bad("ADDITEMS on a " + type(peek()));
                    @SuppressWarnings("unchecked") Set<Object> s = (Set<Object>) peek();
                    addTo(s, items);
                }
                case 'g' -> push(get(textIndex(line(24)))); // GET
                case 'h' -> push(get(u8())); // BINGET
                case 'j' -> push(get(le(4, false))); // LONG_BINGET
                case 'p' -> put(textIndex(line(24))); // PUT
                case 'q' -> put(u8()); // BINPUT
                case 'r' -> put(le(4, false)); // LONG_BINPUT
                case 0x94 -> put(memo.size()); // MEMOIZE
                case 'c' -> push(resolve(line(256), line(256))); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) throw new Bad("STACK_GLOBAL on a " + type(module) + " and a " + type(name));
                    push(resolve(m, n));
                }
                case 'i' -> { // INST: module and name inline, arguments since the mark
                    Call cls = resolve(line(256), line(256));
                    push(call(cls, fromMark().toArray()));
                }
                case 'o' -> { // OBJ: class and arguments since the mark
                    List<Object> items = fromMark();
                    if (items.isEmpty()) throw new Bad("OBJ without a class");
                    push(call(items.get(0), items.subList(1, items.size()).toArray()));
                }
                case 'R' -> { // REDUCE
                    Object args = pop(), f = pop();
                    push(call(f, tuple(args, "REDUCE")));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop(), cls = pop();
                    push(call(cls, tuple(args, "NEWOBJ")));
                }
                case 0x92 -> { // NEWOBJ_EX: keyword arguments are not part of any checkpoint class
                    Object kwargs = pop(), args = pop(), cls = pop();
                    if (!(kwargs instanceof Map<?, ?> k) || !k.isEmpty()) throw new Bad("NEWOBJ_EX with keyword arguments");
                    push(call(cls, tuple(args, "NEWOBJ_EX")));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    build(peek(), state);
                }
                case 'Q' -> push(resolver.persistent(pop())); // BINPERSID
                case 'P' -> push(resolver.persistent(line(256))); // PERSID
                case 0x82, 0x83, 0x84 -> throw new Bad("it uses the copyreg extension registry (EXT opcodes), which a checkpoint never needs");
                case 0x97, 0x98 -> throw new Bad("it uses out-of-band buffers (pickle protocol 5), which a checkpoint never needs");
                default -> throw new Bad(String.format("unknown opcode 0x%02x at byte %d", op, at));
            }
        }
    }

    // --- the stack ----------------------------------------------------------------------------

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.size() <= floor()) throw new Bad("the pickle pops from an empty stack at byte " + (pos - 1));
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.size() <= floor()) throw new Bad("the pickle reads an empty stack at byte " + (pos - 1));
        return stack.get(stack.size() - 1);
    }

    private int floor() {
        return marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
    }

    private void popMark() {
        if (marks.isEmpty()) throw new Bad("the pickle pops a mark it never set");
        int m = marks.remove(marks.size() - 1);
        stack.subList(m, stack.size()).clear();
    }

    /** The values since the last mark, removed from the stack, with the mark. */
    private List<Object> fromMark() {
        if (marks.isEmpty()) throw new Bad("the pickle uses a mark it never set, at byte " + (pos - 1));
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        spend(items.size());
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Object[] tupleOfLast(int n) {
        Object[] t = new Object[n];
        for (int i = n - 1; i >= 0; i--) t[i] = pop();
        return t;
    }

    // --- the memo -----------------------------------------------------------------------------

    private Object get(long key) {
        if (!memo.containsKey(key)) throw new Bad("the pickle reads memo entry " + key + ", which it never stored");
        return memo.get(key);
    }

    private void put(long key) {
        memo.put(key, peek());
    }

    // --- containers and objects -----------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String op) {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw new Bad(op + " on a " + type(o));
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o, String op) {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw new Bad(op + " on a " + type(o));
    }

    private static Object[] tuple(Object o, String op) {
        if (o instanceof Object[] t) return t;
        throw new Bad(op + " takes a tuple of arguments, not a " + type(o));
    }

    private void putPairs(Map<Object, Object> d, List<Object> pairs) {
        if (pairs.size() % 2 != 0) throw new Bad("a dict is given an odd number of keys and values");
        spend(pairs.size());
        for (int i = 0; i < pairs.size(); i += 2) d.put(key(pairs.get(i)), pairs.get(i + 1));
    }

    private Set<Object> addTo(Set<Object> s, List<Object> items) {
        spend(items.size());
        for (Object o : items) s.add(key(o));
        return s;
    }

    /**
     * A dict key or set member: only values whose hash does not recurse (str, numbers, bools, None, bytes by
     * content and tuples by identity), so neither a cycle nor deep nesting can overflow the stack.
     */
    private static Object key(Object k) {
        if (k == null || k instanceof String || k instanceof Number || k instanceof Boolean || k instanceof Object[]) return k;
        if (k instanceof byte[] b) return new String(b, StandardCharsets.ISO_8859_1);
        throw new Bad("a " + type(k) + " is used as a dict key or set member");
    }

    private Call resolve(String module, String name) {
        Call c = resolver.resolve(module, name);
        if (c == null) throw new Bad("the global " + module + "." + name + " is not allowed");
        return c;
    }

    private Object call(Object f, Object[] args) {
        if (!(f instanceof Call c)) throw new Bad("the pickle calls a " + type(f) + ", not an allowed class");
        spend(args.length);
        return c.call(args);
    }

    /** BUILD: an object's state, a dict or (dict, slots) as Python's default __setstate__ takes it. */
    private void build(Object target, Object state) {
        if (state == null) return;
        if (!(target instanceof PyObject obj)) {
            throw new Bad("BUILD gives state to a " + type(target) + ", which takes none");
        }
        List<Object> parts = state instanceof Object[] t && t.length == 2 ? Arrays.asList(t) : List.of(state);
        for (Object part : parts) {
            if (part == null) continue;
            if (!(part instanceof Map<?, ?> m)) throw new Bad("BUILD with a " + type(part) + " as state");
            spend(m.size());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k)) throw new Bad("an attribute name is a " + type(e.getKey()));
                obj.put(k, e.getValue());
            }
        }
    }

    // --- reading ------------------------------------------------------------------------------

    private void spend(long n) {
        work += n;
        if (work > budget) {
            throw new Bad("it asks for more than " + budget + " elements, " + WORK_PER_BYTE
                    + " per byte of its " + in.length + "-byte pickle: not a checkpoint, or a pickle built to exhaust memory");
        }
    }

    private int u8() {
        if (pos >= in.length) throw new Bad("the pickle ends without STOP (truncated)");
        return in[pos++] & 0xff;
    }

    private long le(int n, boolean signed) {
        byte[] b = bytes(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | (b[i] & 0xff);
        if (signed && n < 8 && (v & (1L << (8 * n - 1))) != 0) v -= 1L << (8 * n);
        return v;
    }

    /** A length field, checked against what is left before anything is allocated for it. */
    private int len(int n) {
        long v = le(n, n == 4);
        if (v < 0 || v > in.length - pos) throw new Bad("a length field of " + v + " runs past the end of the pickle");
        return (int) v;
    }

    private byte[] bytes(int n) {
        if (n > in.length - pos) throw new Bad("the pickle ends inside a value (truncated)");
        byte[] b = Arrays.copyOfRange(in, pos, pos + n);
        pos += n;
        return b;
    }

    private void skip(int n) {
        pos += n;
    }

    /** A newline-terminated argument of at most {@code max} bytes (text opcodes). */
    private String line(int max) {
        int end = pos, limit = (int) Math.min(in.length, (long) pos + max + 1);
        while (end < limit && in[end] != '\n') end++;
        if (end >= limit) {
            throw new Bad(end >= in.length ? "the pickle ends inside a text argument (truncated)"
                    : "a text argument longer than " + max + " bytes at byte " + pos);
        }
        String s = new String(in, pos, end - pos, StandardCharsets.ISO_8859_1);
        spend(s.length() / 64);
        pos = end + 1;
        return s;
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static Object textInt(String s, boolean isLong) {
        String t = s.strip();
        if (isLong && t.endsWith("L")) t = t.substring(0, t.length() - 1);
        if (!isLong && t.equals("00")) return Boolean.FALSE;
        if (!isLong && t.equals("01")) return Boolean.TRUE;
        if (!t.matches("[+-]?\\d{1," + MAX_TEXT_DIGITS + "}")) throw new Bad("a text integer is not a number of at most " + MAX_TEXT_DIGITS + " digits");
        BigInteger v = new BigInteger(t);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    /** LONG1 / LONG4: a little-endian two's-complement integer of n bytes. */
    private Object binaryLong(int n) {
        if (n > MAX_LONG_BYTES) throw new Bad("a binary integer of " + n + " bytes (more than " + MAX_LONG_BYTES + ")");
        byte[] b = bytes(n);
        if (n == 0) return 0L;
        byte[] big = new byte[n];
        for (int i = 0; i < n; i++) big[i] = b[n - 1 - i];
        BigInteger v = new BigInteger(big);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static double textFloat(String s) {
        try {
            return Double.parseDouble(s.strip());
        } catch (NumberFormatException e) {
            throw new Bad("a text float is not a number");
        }
    }

    private static long textIndex(String s) {
        if (!s.matches("\\d{1,18}")) throw new Bad("a memo index is not a number");
        return Long.parseLong(s);
    }

    /** Protocol 0's UNICODE: raw-unicode-escape, i.e. latin-1 with \\uXXXX and \\UXXXXXXXX escapes. */
    private static String rawUnicodeEscape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int digits = c == '\\' && i + 1 < s.length() ? (s.charAt(i + 1) == 'u' ? 4 : s.charAt(i + 1) == 'U' ? 8 : 0) : 0;
            if (digits > 0 && i + 2 + digits <= s.length() && s.substring(i + 2, i + 2 + digits).matches("[0-9a-fA-F]+")) {
                int cp = (int) Long.parseLong(s.substring(i + 2, i + 2 + digits), 16);
                if (!Character.isValidCodePoint(cp)) throw new Bad("a \\U escape names no code point");
                b.appendCodePoint(cp);
                i += 1 + digits;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Protocol 0's STRING: a quoted Python 2 string literal, with its backslash escapes, as bytes. */
    private static byte[] quoted(String s) {
        String t = s.strip();
        if (t.length() < 2 || t.charAt(0) != t.charAt(t.length() - 1) || (t.charAt(0) != '\'' && t.charAt(0) != '"')) {
            throw new Bad("a STRING argument is not quoted");
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(t.length());
        for (int i = 1; i < t.length() - 1; i++) {
            char c = t.charAt(i);
            if (c != '\\' || i + 1 >= t.length() - 1) {
                out.write(c);
                continue;
            }
            char e = t.charAt(++i);
            switch (e) {
                case 'n' -> out.write('\n');
                case 't' -> out.write('\t');
                case 'r' -> out.write('\r');
                case '0' -> out.write(0);
                case 'x' -> {
                    if (i + 2 >= t.length() || !t.substring(i + 1, i + 3).matches("[0-9a-fA-F]{2}")) throw new Bad("a bad \\x escape in a STRING");
                    out.write(Integer.parseInt(t.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                default -> out.write(e);
            }
        }
        return out.toByteArray();
    }

    /** What a value is, for messages: never the value itself (it may be huge, cyclic or hostile). */
    static String type(Object o) {
        if (o == null) return "None";
        if (o instanceof Object[]) return "tuple";
        if (o instanceof List<?>) return "list";
        if (o instanceof Map<?, ?> && !(o instanceof PyObject)) return "dict";
        if (o instanceof Set<?>) return "set";
        if (o instanceof String) return "str";
        if (o instanceof byte[]) return "bytes";
        if (o instanceof Boolean) return "bool";
        if (o instanceof Double) return "float";
        if (o instanceof Number) return "int";
        if (o instanceof PyObject p) return p.className() + " object";
        if (o instanceof Call) return "class";
        return o.getClass().getSimpleName();
    }
}
