package io.wiseseg.pipeline;

import io.wiseseg.backbone.ResNet;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.Dataset;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.kernels.Device;
import io.wiseseg.maskrcnn.MaskRcnn;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.maskrcnn.MaskRcnnTrainer;
import io.wiseseg.maskrcnn.MaskRcnnWeights;
import io.wiseseg.maskrcnn.Predictor;
import io.wiseseg.util.TorchRuntime;
import io.wiseseg.util.Trace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * WISE's third stage: a fully supervised Mask R-CNN trained on the pseudo masks (or, as the upper
 * bound, on ground-truth masks), and its predictions for a split.
 */
public final class MaskRcnnTraining {
    private MaskRcnnTraining() {}

    /**
     * Trains a Mask R-CNN into {@code dir} (a checkpoint every epoch), or continues from the
     * checkpoint there, or returns the finished run's model. Loads LibTorch itself.
     *
     * @param examples      the training images and their instances ({@link TrainingExamples})
     * @param startBackbone a PRM classifier's ResNet to start the backbone from (same depth and
     *                      width as the config's), or null for the config's own initialisation;
     *                      unused when resuming
     * @return the trained model, on the CPU, in evaluation mode
     */
    public static MaskRcnn train(ClassSet classes, List<MaskRcnnTrainer.Example> examples, MaskRcnnConfig config,
            MaskRcnnTrainer.Options options, ResNet startBackbone, Path dir, ProgressListener listener) {
        return train(classes, examples, config, options, startBackbone, dir, Device.cpu(), listener);
    }

    /** As above, on {@code device}: the network, its inputs and targets, and its kernels. */
    public static MaskRcnn train(ClassSet classes, List<MaskRcnnTrainer.Example> examples, MaskRcnnConfig config,
            MaskRcnnTrainer.Options options, ResNet startBackbone, Path dir, Device device, ProgressListener listener) {
        TorchRuntime.ensureLoaded();
        MaskRcnn net = new MaskRcnn(config, device);
        boolean resume = Files.exists(dir.resolve(MaskRcnnTrainer.STATE_FILE));
        if (!resume && startBackbone != null) {
            MaskRcnnWeights.loadBackbone(net, startBackbone, "the PRM classifier");
        }
        new MaskRcnnTrainer(net, classes, options, dir).train(examples, resume, listener);
        return net;
    }

    /**
     * The model's instances on every image of {@code split}, written to {@code file} as COCO
     * results; when {@code file} exists (an earlier call's), it is read back instead.
     */
    public static List<ImagePrediction> predict(MaskRcnn net, Dataset data, String split, Path file,
            ProgressListener listener) throws IOException {
        if (Files.isRegularFile(file)) {
            return readPredictions(data, split, file);
        }
        List<LabelledImage> images = data.labelled(split);
        Predictor predictor = new Predictor(net);
        List<ImagePrediction> out = new ArrayList<>();
        listener.progress("predict " + split, 0, images.size());
        for (LabelledImage li : images) {
            try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope();
                    Trace.Span s = Trace.span("image", "predict").arg("id", li.id())) {
                out.add(predictor.predict(li.id(), data.readImage(li)));
            }
            listener.progress("predict " + split, out.size(), images.size());
        }
        try (Trace.Span s = Trace.span("encode", "predict")) { // RLE + JSON
            CocoJson.writeResults(file, out, data.classes());
        }
        return out;
    }

    /**
     * Predictions that {@link #predict} wrote for {@code split}, one per image of the split in
     * its order.
     *
     * @throws IOException when the file cannot be read or names images not in the split
     */
    public static List<ImagePrediction> readPredictions(Dataset data, String split, Path file) throws IOException {
        List<LabelledImage> images = data.labelled(split);
        CocoDataset target = new CocoDataset(data.classes(), CocoDataset.defaultCategoryIds(data.classes()),
                images.stream().map(li -> new AnnotatedImage(li, List.of(), null)).toList(), Map.of());
        return CocoJson.readResults(file, target);
    }
}
