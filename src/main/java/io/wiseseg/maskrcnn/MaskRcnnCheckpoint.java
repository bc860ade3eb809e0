package io.wiseseg.maskrcnn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.wiseseg.data.ClassSet;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;

/**
 * A trained Mask R-CNN as a {@code train-maskrcnn} run folder holds it: {@code config.json} (the
 * model configuration, the class names, and the training options for the record) and
 * {@code model.pt} (the weights, a LibTorch archive). The trainer writes both through this class
 * and inference reads them here, so loading a model does not go through the trainer; the
 * optimizer and progress files beside them are the trainer's own.
 *
 * @param model   the network with the run's weights
 * @param classes the class names; class id {@code c} of a detection is {@code classes.name(c)}
 */
public record MaskRcnnCheckpoint(MaskRcnn model, ClassSet classes) {
    /** The files of a run that inference needs. */
    public static final String CONFIG_FILE = "config.json", MODEL_FILE = "model.pt";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public MaskRcnnCheckpoint {
        if (classes.size() + 1 != model.config().numClasses()) {
            throw new IllegalArgumentException(classes.size() + " class names for a model of "
                    + (model.config().numClasses() - 1) + " classes");
        }
    }

    /**
     * The model of a run folder on {@code device}'s kernels. Errors are IllegalArgumentExceptions
     * whose one-line message names the folder or file: not a run, no weights yet, unreadable files.
     */
    public static MaskRcnnCheckpoint load(Path dir, Device device) {
        JsonNode json = readJson(dir);
        MaskRcnnConfig config = config(json, dir);
        ClassSet classes = classes(json, dir, config.numClasses());
        Path weights = dir.resolve(MODEL_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException(dir + ": no " + MODEL_FILE + " (training has not finished an epoch)");
        }
        MaskRcnn model = new MaskRcnn(config, device);
        loadWeights(model, weights);
        device.place(model); // loaded on the CPU first: a run folder loads anywhere, whatever saved it
        return new MaskRcnnCheckpoint(model, classes);
    }

    /**
     * Writes this model as a run folder that {@link #load}, {@code predict} and {@code serve}
     * read: config.json (with {@code provenance} as its "training" entry, for the record) and
     * model.pt. For a model that was not trained by {@code train-maskrcnn}, e.g. one whose
     * weights came from a torchvision state dict ({@link MaskRcnnWeights}).
     *
     * @param dir        the folder to write (created if missing); files in it are replaced atomically
     * @param provenance where the weights came from, any JSON-serialisable object
     * @throws IOException when a file cannot be written
     */
    public void save(Path dir, Object provenance) throws IOException {
        writeConfig(dir, model.config(), classes, provenance);
        saveWeights(model, dir);
    }

    /** The model configuration in a run folder's config.json. */
    public static MaskRcnnConfig readConfig(Path dir) {
        return config(readJson(dir), dir);
    }

    private static MaskRcnnConfig config(JsonNode json, Path dir) {
        JsonNode model = json.get("model");
        if (model == null) {
            throw new IllegalArgumentException(dir.resolve(CONFIG_FILE) + ": no \"model\" entry");
        }
        try {
            return JSON.treeToValue(model, MaskRcnnConfig.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(dir.resolve(CONFIG_FILE) + ": cannot read the model configuration ("
                    + firstLine(e.getMessage()) + ")", e);
        }
    }

    /**
     * The class names in a run folder's config.json. Runs written before the names were kept
     * have none: their classes are called "class0", "class1", ... by id.
     */
    private static ClassSet classes(JsonNode json, Path dir, int numClasses) {
        JsonNode names = json.get("classes");
        List<String> out = new ArrayList<>();
        if (names == null) {
            for (int c = 0; c + 1 < numClasses; c++) {
                out.add("class" + c);
            }
            return new ClassSet(out);
        }
        names.forEach(n -> out.add(n.asText()));
        if (!names.isArray() || out.size() + 1 != numClasses) {
            throw new IllegalArgumentException(dir.resolve(CONFIG_FILE) + ": \"classes\" must list the model's "
                    + (numClasses - 1) + " class names, got " + names);
        }
        return new ClassSet(out);
    }

    /** Writes config.json: the model's configuration, its class names and the training options. */
    static void writeConfig(Path dir, MaskRcnnConfig config, ClassSet classes, Object training) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", config);
        root.put("classes", classes.names());
        root.put("training", training);
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve(CONFIG_FILE), tmp -> JSON.writeValue(tmp.toFile(), root));
    }

    /** Writes model.pt (atomically: a crash leaves the previous weights). */
    static void saveWeights(MaskRcnn model, Path dir) throws IOException {
        Files.createDirectories(dir);
        OutputArchive archive = new OutputArchive();
        model.save(archive);
        AtomicFiles.write(dir.resolve(MODEL_FILE), tmp -> archive.save_to(tmp.toString()));
    }

    /**
     * Loads weights written by {@link #saveWeights} into a model of the same configuration, onto
     * the CPU whatever device wrote them; callers place the model afterwards.
     */
    static void loadWeights(MaskRcnn model, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("checkpoint not found: " + file);
        }
        // the archive holds a second copy of the weights: free it now, not when the GC runs
        try (PointerScope scope = new PointerScope()) {
            InputArchive archive = new InputArchive();
            archive.load_from(file.toString(), new org.bytedeco.pytorch.DeviceOptional(new org.bytedeco.pytorch.Device("cpu")));
            model.load(archive);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": cannot load the weights (" + firstLine(e.getMessage()) + ")", e);
        }
    }

    private static JsonNode readJson(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": not a train-maskrcnn folder (no such folder)");
        }
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + ": not a train-maskrcnn folder (no " + CONFIG_FILE + ")");
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + firstLine(e.getMessage()) + ")", e);
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
