package io.wiseseg.pipeline;

import io.wiseseg.data.ClassSet;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.Instance;
import io.wiseseg.data.RgbImage;
import io.wiseseg.kernels.Device;
import io.wiseseg.maskrcnn.MaskRcnnCheckpoint;
import io.wiseseg.maskrcnn.Predictor;
import io.wiseseg.util.TorchRuntime;
import io.wiseseg.util.Trace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.bytedeco.javacpp.PointerScope;

/**
 * Instance segmentation with a trained Mask R-CNN, the run folder that
 * {@code wiseseg train-maskrcnn --out RUN} writes: load it once, segment many images.
 *
 * <pre>{@code
 * try (Segmenter segmenter = Segmenter.load(Path.of("RUN"), Device.parse("cpu"))) { // or "cuda:0"
 *     for (Segment s : segmenter.segment(Path.of("photo.jpg"))) {
 *         System.out.println(s.className() + " " + s.score() + " " + s.box());
 *     }
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> One segmenter serves any number of threads at once, and their
 * {@code segment} calls run in parallel, not one after another: a call only reads the model (it
 * runs without autograd, whose mode is per thread; the detector's stages and its frozen BatchNorm
 * keep no state between calls; the native kernels keep their scratch memory and last error per
 * thread), and its tensors belong to the calling thread's own PointerScope. {@link #close} waits
 * for the calls in progress. LibTorch's
 * thread count ({@code torch.set_num_threads}) is one setting for the whole process: with several
 * threads segmenting at once, give LibTorch fewer threads.
 *
 * <p><b>Native memory.</b> The weights live outside the Java heap, in native memory that
 * {@link #close} frees; each call frees its own tensors before it returns, so memory stays flat
 * over any number of calls.
 *
 * <p><b>Profiling.</b> While a {@link Trace} recording is on ({@code Trace.start()}), every call
 * records its stages as spans on the calling thread (decode, the detector's transform, backbone,
 * RPN, box and mask heads, mask paste), to write as a Chrome trace-event file for Perfetto.
 *
 * <p><b>First call.</b> {@link #load} loads LibTorch itself (see {@link TorchRuntime}), so it may be
 * a program's first use of wiseseg or LibTorch.
 */
public final class Segmenter implements AutoCloseable {
    private static final String CATEGORY = "segmenter";

    private final PointerScope weights; // every native object made while loading: freed by close()
    private final Predictor predictor;
    private final ClassSet classes;
    private final long parameterCount;
    // segment() calls share the read side; close() takes the write side, so it never frees the
    // weights under a call in progress
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private Segmenter(PointerScope weights, MaskRcnnCheckpoint checkpoint, long parameterCount) {
        this.weights = weights;
        this.predictor = new Predictor(checkpoint.model());
        this.classes = checkpoint.classes();
        this.parameterCount = parameterCount;
    }

    /**
     * Loads a trained run: its {@code config.json} (model settings and class names) and
     * {@code model.pt} (weights).
     *
     * @param runDir a {@code wiseseg train-maskrcnn --out} folder
     * @param device where the model, its tensors and our kernels (RoIAlign, NMS) run:
     *     {@link Device#cpu()}, or {@code Device.parse("cuda:0")} with the gpu build
     * @return a segmenter to {@link #close} when done
     * @throws IllegalArgumentException with a one-line message naming the folder or file, when
     *     {@code runDir} is not a run folder, has no weights yet, or holds unreadable files
     */
    public static Segmenter load(Path runDir, Device device) {
        Objects.requireNonNull(runDir, "runDir");
        Objects.requireNonNull(device, "device");
        TorchRuntime.ensureLoaded(); // this may be the program's first LibTorch call
        // Our own scope, not the caller's (if any): the weights must outlive every scope of the
        // loading thread, and close() must be able to free them all.
        PointerScope scope = new PointerScope();
        MaskRcnnCheckpoint checkpoint;
        long parameters = 0;
        try (Trace.Span s = Trace.span("load model", CATEGORY)) {
            checkpoint = MaskRcnnCheckpoint.load(runDir, device);
            org.bytedeco.pytorch.TensorVector all = checkpoint.model().parameters(true);
            for (long i = 0; i < all.size(); i++) {
                parameters += all.get(i).numel();
            }
        } catch (RuntimeException e) {
            scope.close(); // frees what was loaded before the error
            throw e;
        }
        scope.extend().close(); // leaves this thread's scope stack and keeps its pointers
        return new Segmenter(scope, checkpoint, parameters);
    }

    /**
     * The instances in an image file.
     *
     * @param imageFile a JPEG or PNG file
     * @return the instances found, best score first (empty when none)
     * @throws IllegalArgumentException naming the file, when it is missing, empty, truncated or
     *     not a readable JPEG or PNG
     * @throws IllegalStateException after {@link #close}
     */
    public List<Segment> segment(Path imageFile) {
        Objects.requireNonNull(imageFile, "imageFile");
        requireOpen();
        try (Trace.Span s = Trace.span("segment", CATEGORY)) { // the decode inside it
            return pixels(ImageFiles.readRgb(imageFile));
        }
    }

    /**
     * The instances in an encoded image (the bytes of a JPEG or PNG file, e.g. an upload).
     *
     * @param encodedImage the whole file's bytes
     * @return the instances found, best score first (empty when none)
     * @throws IllegalArgumentException when the bytes are empty, truncated or not a readable JPEG
     *     or PNG
     * @throws IllegalStateException after {@link #close}
     */
    public List<Segment> segment(byte[] encodedImage) {
        Objects.requireNonNull(encodedImage, "encodedImage");
        requireOpen();
        try (Trace.Span s = Trace.span("segment", CATEGORY)) {
            return pixels(ImageFiles.decodeRgb(encodedImage));
        }
    }

    /**
     * The instances in decoded RGB pixels.
     *
     * @param image an image of at least 1×1 pixels
     * @return the instances found, best score first (empty when none); masks have the image's size
     * @throws IllegalArgumentException when the image has no pixels
     * @throws IllegalStateException after {@link #close}
     */
    public List<Segment> segment(RgbImage image) {
        try (Trace.Span s = Trace.span("segment", CATEGORY)) {
            return pixels(image);
        }
    }

    private List<Segment> pixels(RgbImage image) {
        Objects.requireNonNull(image, "image");
        if (image.width() < 1 || image.height() < 1) {
            throw new IllegalArgumentException("cannot segment an image of " + image.width() + "x" + image.height()
                    + " pixels");
        }
        lifecycle.readLock().lock();
        try {
            requireOpen();
            return segments(predictor.instances(image)); // its own PointerScope: no native memory stays
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * The instances in several images, each list what {@link #segment(RgbImage)} gives for that
     * image alone (to float rounding: a batch's matrix products sum in another order). Images
     * that the model zero-pads to the same input size (the usual case: one camera, one aspect
     * ratio; also sizes that differ by less than the 32-pixel padding step) run through it as one
     * padded batch, which costs less per image than one call each; images of other padded sizes
     * run as batches of their own, because padding an image further than it is padded alone
     * changes its result near its edges, and RoI pooling picks its levels from the batch's
     * tallest image ({@link io.wiseseg.maskrcnn.MaskRcnn.BatchKey}).
     *
     * @param images images of at least 1×1 pixels
     * @return one list of instances per image, in the order given, best score first
     * @throws IllegalArgumentException when an image has no pixels
     * @throws IllegalStateException after {@link #close}
     */
    public List<List<Segment>> segmentBatch(List<RgbImage> images) {
        Objects.requireNonNull(images, "images");
        for (int i = 0; i < images.size(); i++) {
            RgbImage image = Objects.requireNonNull(images.get(i), "images[" + i + "]");
            if (image.width() < 1 || image.height() < 1) {
                throw new IllegalArgumentException("cannot segment image " + i + " of the batch: it has "
                        + image.width() + "x" + image.height() + " pixels");
            }
        }
        lifecycle.readLock().lock();
        try (Trace.Span s = Trace.span("segment batch", CATEGORY).arg("images", images.size())) {
            requireOpen();
            // group by padded input size and pooling scales, keeping each group in the caller's order
            java.util.Map<io.wiseseg.maskrcnn.MaskRcnn.BatchKey, List<Integer>> groups = new java.util.LinkedHashMap<>();
            for (int i = 0; i < images.size(); i++) {
                groups.computeIfAbsent(predictor.batchKey(images.get(i)), k -> new ArrayList<>()).add(i);
            }
            List<List<Segment>> out = new ArrayList<>(java.util.Collections.nCopies(images.size(), null));
            for (List<Integer> group : groups.values()) {
                List<List<Instance>> found = predictor.instances(group.stream().map(images::get).toList());
                for (int k = 0; k < group.size(); k++) {
                    out.set(group.get(k), segments(found.get(k)));
                }
            }
            return out;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * The pixels the network runs on for this image: its size after the model's resize and
     * zero padding. What a batch of it costs grows with this; a server can cap a batch by it.
     *
     * @param image an image of at least 1×1 pixels
     * @return the padded input's height × width
     */
    public long inputPixels(RgbImage image) {
        if (image.width() < 1 || image.height() < 1) {
            throw new IllegalArgumentException("an image of " + image.width() + "x" + image.height() + " pixels has no input size");
        }
        return predictor.batchKey(image).pixels();
    }

    private List<Segment> segments(List<Instance> instances) {
        List<Segment> out = new ArrayList<>(instances.size());
        for (Instance in : instances) {
            out.add(new Segment(in.classId(), classes.name(in.classId()), in.score(), in.box(), in.mask()));
        }
        return out;
    }

    /**
     * The classes the run was trained on.
     *
     * @return the class names, indexed by {@link Segment#classId()}
     */
    public ClassSet classes() {
        return classes;
    }

    /**
     * The model's size.
     *
     * @return the number of weights (parameters) of the network
     */
    public long parameterCount() {
        return parameterCount;
    }

    /**
     * Frees the model's native memory, after waiting for {@code segment} calls in progress. Later
     * calls to {@code segment} throw IllegalStateException; closing again does nothing.
     */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                weights.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this Segmenter is closed");
        }
    }
}
