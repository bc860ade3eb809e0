package io.wiseseg.prm;

import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Optimizer;

/**
 * A PRM training directory: config.json, model.pt (LibTorch archive of the network),
 * optimizer-backbone.pt / optimizer-head.pt and state.json (the step reached). Every file is
 * written to a temporary name and renamed.
 */
public final class PrmCheckpoint {
    public static final String CONFIG = "config.json", MODEL = "model.pt", STATE = "state.json";
    static final String OPT_BACKBONE = "optimizer-backbone.pt", OPT_HEAD = "optimizer-head.pt";

    private PrmCheckpoint() {}

    /** The trained network of a checkpoint directory (or of a model.pt beside its config.json). */
    public static PrmNetwork loadNetwork(Path checkpoint) {
        PrmNetwork net = config(checkpoint).newNetwork();
        loadModule(net, modelFile(checkpoint));
        return net;
    }

    /** The trained network of a checkpoint, on {@code device}. */
    public static PrmNetwork loadNetwork(Path checkpoint, io.wiseseg.kernels.Device device) {
        return device.place(loadNetwork(checkpoint));
    }

    /** The config of a checkpoint directory (or of the one holding a model.pt). */
    public static PrmConfig config(Path checkpoint) {
        Path model = modelFile(checkpoint);
        Path config = model.toAbsolutePath().getParent().resolve(CONFIG);
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + " has no " + CONFIG + " beside it");
        }
        return PrmConfig.read(config);
    }

    /** Whether {@code dir} is a train-classifier run: a folder with its config and model. */
    public static boolean isRun(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(CONFIG)) && Files.isRegularFile(dir.resolve(MODEL));
    }

    private static Path modelFile(Path checkpoint) {
        if (!Files.exists(checkpoint)) {
            throw new IllegalArgumentException("no checkpoint at " + checkpoint + " (no such file or directory)");
        }
        Path model = Files.isDirectory(checkpoint) ? checkpoint.resolve(MODEL) : checkpoint;
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("no checkpoint at " + checkpoint + " (" + model.getFileName() + " missing)");
        }
        return model;
    }

    static void loadModule(org.bytedeco.pytorch.Module module, Path file) {
        try {
            // onto the CPU, whatever device saved it; callers place the module afterwards
            InputArchive a = new InputArchive();
            a.load_from(file.toString(), new org.bytedeco.pytorch.DeviceOptional(new org.bytedeco.pytorch.Device("cpu")));
            module.load(a);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": cannot load the model (" + firstLine(e.getMessage()) + ")", e);
        }
    }

    /** The optimizer's state (momentum buffers, Adam's moments) onto {@code device}, where its parameters are. */
    static void loadOptimizer(Optimizer optimizer, Path file, io.wiseseg.kernels.Device device) {
        try {
            InputArchive a = new InputArchive();
            a.load_from(file.toString(), new org.bytedeco.pytorch.DeviceOptional(device.torchDevice()));
            optimizer.load(a);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": cannot load the optimizer state (" + firstLine(e.getMessage()) + ")", e);
        }
    }

    static void save(org.bytedeco.pytorch.Module module, Path file) throws IOException {
        OutputArchive a = new OutputArchive();
        module.save(a);
        AtomicFiles.write(file, tmp -> a.save_to(tmp.toString()));
    }

    static void save(Optimizer optimizer, Path file) throws IOException {
        OutputArchive a = new OutputArchive();
        optimizer.save(a);
        AtomicFiles.write(file, tmp -> a.save_to(tmp.toString()));
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
