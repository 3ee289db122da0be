package dev.yolotrt.export;

import dev.yolotrt.util.YoloException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IPluginCreator;
import org.bytedeco.tensorrt.nvinfer.IPluginV2;
import org.bytedeco.tensorrt.nvinfer.IPluginV2Layer;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.Permutation;
import org.bytedeco.tensorrt.nvinfer.PluginField;
import org.bytedeco.tensorrt.nvinfer.PluginFieldCollection;
import org.bytedeco.tensorrt.nvinfer.Weights;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.tensorrt.global.nvinfer.DataType;
import static org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import static org.bytedeco.tensorrt.global.nvinfer.PluginFieldType;
import static org.bytedeco.tensorrt.global.nvinfer.getPluginRegistry;
import static org.bytedeco.tensorrt.global.nvinfer_plugin.initLibNvInferPlugins;

/**
 * NMS inside the engine ({@code nms=true}): the raw [B, 4+nc, N] output becomes corner boxes [B, N, 4]
 * and scores [B, N, nc] for TensorRT's EfficientNMS_TRT plugin, whose results are laid out as
 * Ultralytics' end-to-end output: {@code output0} [B, max_det, 6] of x1, y1, x2, y2 (letterboxed
 * pixels), confidence, class; unused rows are zero.
 */
final class NmsHead {

    /** Native memory the network refers to until the build is done. */
    private final List<Pointer> keep = new ArrayList<>();

    void append(INetworkDefinition net, ILogger logger, float conf, float iou, int maxDet) {
        ITensor raw = net.getOutput(0);
        Dims64 d = raw.getDimensions();
        int channels = (int) d.d(1);
        int nc = channels - 4;
        net.unmarkOutput(raw);

        ITensor cxy = gather(net, raw, 0, 2);
        ITensor wh = gather(net, raw, 2, 2);
        ITensor half = net.addElementWise(wh, constant(net, 0.5f), ElementWiseOperation.kPROD).getOutput(0);
        ITensor xy1 = net.addElementWise(cxy, half, ElementWiseOperation.kSUB).getOutput(0);
        ITensor xy2 = net.addElementWise(cxy, half, ElementWiseOperation.kSUM).getOutput(0);
        PointerPointer<ITensor> corners = new PointerPointer<>(xy1, xy2);
        keep.add(corners);
        var concat = net.addConcatenation(corners, 2);
        concat.setAxis(1);
        ITensor boxes = transpose(net, concat.getOutput(0));
        ITensor scores = transpose(net, gather(net, raw, 4, nc));

        if (!initLibNvInferPlugins(logger, "")) throw new YoloException("TensorRT's plugin library (libnvinfer_plugin.so.10) did not initialise");
        // TensorRT 10 looks creators up with getCreator; the older getPluginCreator crashed in 10.6 here.
        var found = getPluginRegistry().getCreator("EfficientNMS_TRT", "1", "");
        IPluginCreator creator = found == null || found.isNull() ? null : new IPluginCreator(found);
        if (creator == null) throw new YoloException("TensorRT has no EfficientNMS_TRT plugin; is libnvinfer_plugin.so.10 on LD_LIBRARY_PATH?");
        PluginField fields = new PluginField(6);
        keep.add(fields);
        field(fields, 0, "score_threshold", new FloatPointer(conf));
        field(fields, 1, "iou_threshold", new FloatPointer(iou));
        field(fields, 2, "max_output_boxes", new IntPointer(new int[] {maxDet}));
        field(fields, 3, "background_class", new IntPointer(new int[] {-1}));
        field(fields, 4, "score_activation", new IntPointer(new int[] {0}));
        field(fields, 5, "box_coding", new IntPointer(new int[] {0}));
        PluginFieldCollection fc = new PluginFieldCollection();
        fc.nbFields(6).fields(fields.position(0));
        keep.add(fc);
        IPluginV2 plugin = creator.createPlugin("efficient_nms", fc);
        if (plugin == null || plugin.isNull()) throw new YoloException("TensorRT could not create the EfficientNMS_TRT plugin");
        PointerPointer<ITensor> inputs = new PointerPointer<>(boxes, scores);
        keep.add(inputs);
        IPluginV2Layer layer = net.addPluginV2(inputs, 2, plugin);
        ITensor scores3 = unsqueeze(net, layer.getOutput(2));
        ITensor classes3 = unsqueeze(net, net.addCast(layer.getOutput(3), DataType.kFLOAT).getOutput(0));
        PointerPointer<ITensor> parts = new PointerPointer<>(layer.getOutput(1), scores3, classes3);
        keep.add(parts);
        var out = net.addConcatenation(parts, 3);
        out.setAxis(2);
        ITensor result = out.getOutput(0);
        result.setName("output0");
        net.markOutput(result);
    }

    /** [B, M] -> [B, M, 1]. */
    private static ITensor unsqueeze(INetworkDefinition net, ITensor t) {
        var shuffle = net.addShuffle(t);
        shuffle.setReshapeDimensions(dims(0, 0, 1)); // 0 copies the input's dimension
        return shuffle.getOutput(0);
    }

    private void field(PluginField fields, int i, String name, Pointer value) {
        // Built as one struct, then copied into the array: the String setter of a char* member crashed.
        BytePointer n = new BytePointer(name);
        PluginField one = new PluginField(n, value,
                (value instanceof FloatPointer ? PluginFieldType.kFLOAT32 : PluginFieldType.kINT32).value, 1);
        keep.add(n);
        keep.add(value);
        keep.add(one);
        fields.position(i).put(one);
    }

    /** Rows [start, start + count) of axis 1. */
    private ITensor gather(INetworkDefinition net, ITensor t, int start, int count) {
        int[] idx = new int[count];
        for (int i = 0; i < count; i++) idx[i] = start + i;
        IntPointer values = new IntPointer(idx);
        keep.add(values);
        Weights w = new Weights().type(DataType.kINT32).values(values).count(count);
        keep.add(w);
        ITensor indices = net.addConstant(dims(count), w).getOutput(0);
        return net.addGather(t, indices, 1).getOutput(0);
    }

    private ITensor constant(INetworkDefinition net, float v) {
        FloatPointer value = new FloatPointer(v);
        keep.add(value);
        Weights w = new Weights().type(DataType.kFLOAT).values(value).count(1);
        keep.add(w);
        return net.addConstant(dims(1, 1, 1), w).getOutput(0);
    }

    /** [B, C, N] -> [B, N, C]. */
    private static ITensor transpose(INetworkDefinition net, ITensor t) {
        var shuffle = net.addShuffle(t);
        Permutation p = new Permutation();
        p.order(0, 0).order(1, 2).order(2, 1);
        shuffle.setFirstTranspose(p);
        return shuffle.getOutput(0);
    }

    private static Dims64 dims(long... v) {
        Dims64 d = new Dims64();
        d.nbDims(v.length);
        for (int i = 0; i < v.length; i++) d.d(i, v[i]);
        return d;
    }
}
