package dev.yolotrt.backend;

import org.bytedeco.cuda.cudart.cudaHostFn_t;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.nvinfer.INoCopy;

/**
 * {@code delete} for TensorRT objects. TensorRT 10 frees its objects through their public virtual
 * destructors only, and JavaCPP attaches no deallocator to pointers that native code returns, so
 * {@code deallocate()} on a runtime, engine or context frees nothing (measured: 160 MB of device
 * memory per engine load/close on an H200). The API classes derived from {@code INoCopy} declare no
 * virtual function but the destructor, so by the Itanium C++ ABI their vtable starts with the
 * complete-object destructor and then the deleting destructor; calling the latter with the object is
 * exactly {@code delete obj}. It is called through a JavaCPP function pointer of the C signature
 * {@code void(void*)} (CUDA's host-function type), whose native stub reads the function from the
 * address it is given: the vtable slot itself.
 */
final class TrtDelete {

    private TrtDelete() {
    }

    /** Deletes {@code obj} (a TensorRT object created by TensorRT) and nulls the Java handle. */
    static void delete(INoCopy obj) {
        if (obj == null || obj.isNull()) return;
        long vtable = new LongPointer(at(obj.address())).get();
        Pointer deletingDestructor = at(vtable + Long.BYTES);
        new cudaHostFn_t(deletingDestructor).call(obj);
        obj.setNull();
    }

    private static Pointer at(long where) {
        // Not "address": inside the anonymous class that name is the inherited field, not the parameter.
        return new Pointer() {
            {
                address = where;
            }
        };
    }
}
