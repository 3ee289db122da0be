package dev.yolotrt.spark;

import dev.yolotrt.export.ExportOptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Export options travel to an INT8 task as plain values (Java-serialized, as Spark ships them) and come back equal. */
class RecordCodecTest {

    @Test
    void exportOptionsSurviveTheTrip() throws IOException, ClassNotFoundException {
        ExportOptions o = ExportOptions.builder().int8(true).batch(8).imgsz(640).data("coco128-val2017.yaml").split("train")
                .calibrator("entropy2").fraction(0.25).calibBatch(4).fp16Layers("model\\.22\\..*").output(Path.of("runs/x.engine")).build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(RecordCodec.encode(o));
        }
        Object[] back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (Object[]) in.readObject();
        }
        ExportOptions again = RecordCodec.decode(ExportOptions.class, back);
        assertEquals(o, again);
        assertEquals(Path.of("runs/x.engine"), again.output());
        assertNotEquals(o, RecordCodec.decode(ExportOptions.class, RecordCodec.encode(o.toBuilder().fraction(0.5).build())));
    }
}
