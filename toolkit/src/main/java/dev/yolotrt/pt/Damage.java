package dev.yolotrt.pt;

/**
 * What a damaged checkpoint did to the reader or the converter, said in words: a stranger's file must never
 * surface as a Java exception name.
 */
final class Damage {

    private Damage() {
    }

    static String describe(Throwable e) {
        if (e instanceof Pickle.Bad || e instanceof dev.yolotrt.util.YoloException) return e.getMessage();
        if (e instanceof StackOverflowError) return "its objects are nested too deeply";
        if (e instanceof ClassCastException) return "a field holds a value of the wrong type";
        if (e instanceof IndexOutOfBoundsException) return "a layer refers to an input or an entry that does not exist";
        if (e instanceof NullPointerException) return "a field the model needs is missing";
        if (e instanceof ArithmeticException || e instanceof NegativeArraySizeException) return "a size is out of range";
        if (e instanceof IllegalArgumentException) return "a value is out of range";
        return "its structure is not that of an Ultralytics model";
    }
}
