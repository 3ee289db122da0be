package dev.yolotrt.pt;

import java.util.LinkedHashMap;

/**
 * A Python object from a checkpoint as plain data: its class name and its attributes (what BUILD gave it),
 * constructor arguments under {@code __args__}. Nothing of the class is run.
 */
public final class PyObject extends LinkedHashMap<String, Object> {

    private final String className;

    public PyObject(String module, String name) {
        this.className = module + "." + name;
    }

    /** The qualified class name, e.g. {@code ultralytics.nn.modules.conv.Conv}. */
    public String className() {
        return className;
    }

    // Identity, as Python objects hash by default: a map's content hash would recurse into nested (or cyclic) state.
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return className + " object";
    }
}
