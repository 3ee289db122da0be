package dev.yolotrt.spark;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A record of plain values (strings, numbers, booleans, paths) as an array Spark can ship to a task, and back: the toolkit's
 * option records stay free of {@code Serializable} (a {@link Path} is not).
 */
final class RecordCodec {
    private RecordCodec() {
    }

    static Object[] encode(Record r) {
        RecordComponent[] cs = r.getClass().getRecordComponents();
        Object[] out = new Object[cs.length];
        for (int i = 0; i < cs.length; i++) {
            Object v = get(cs[i], r);
            out[i] = v instanceof Path p ? p.toString() : v;
        }
        return out;
    }

    static <R extends Record> R decode(Class<R> type, Object[] values) {
        RecordComponent[] cs = type.getRecordComponents();
        Object[] args = values.clone();
        for (int i = 0; i < cs.length; i++) if (cs[i].getType() == Path.class && args[i] != null) args[i] = Path.of((String) args[i]);
        try {
            Constructor<R> c = type.getDeclaredConstructor(Arrays.stream(cs).map(RecordComponent::getType).toArray(Class<?>[]::new));
            return c.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot rebuild " + type.getSimpleName() + ": " + e, e);
        }
    }

    private static Object get(RecordComponent c, Record r) {
        try {
            return c.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + c.getName() + ": " + e, e);
        }
    }
}
