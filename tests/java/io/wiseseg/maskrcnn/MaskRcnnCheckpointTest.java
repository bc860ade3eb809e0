package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.data.ClassSet;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.TorchRuntime;
import io.wiseseg.util.TorchvisionWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run folder round-trips the weights, the configuration and the class names; broken ones fail in one line. */
class MaskRcnnCheckpointTest {
    private static final ClassSet CLASSES = new ClassSet(List.of("disc", "square", "triangle", "star", "ring", "cross"));

    @TempDir
    Path tmp;

    @BeforeAll
    static void torch() {
        TorchRuntime.ensureLoaded();
    }

    private Path run(MaskRcnn model, ClassSet classes) throws IOException {
        Path dir = tmp.resolve("run");
        MaskRcnnCheckpoint.writeConfig(dir, model.config(), classes, Map.of("epochs", 1));
        MaskRcnnCheckpoint.saveWeights(model, dir);
        return dir;
    }

    @Test
    void roundTripsWeightsConfigAndClasses() throws IOException {
        torch.manual_seed(5);
        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        Path dir = tmp.resolve("saved");
        new MaskRcnnCheckpoint(model, CLASSES).save(dir, Map.of("weights", "seed 5"));
        MaskRcnnCheckpoint loaded = MaskRcnnCheckpoint.load(dir, Device.cpu());
        assertTrue(Files.readString(dir.resolve(MaskRcnnCheckpoint.CONFIG_FILE)).contains("seed 5"));
        assertEquals(model.config(), loaded.model().config());
        assertEquals(CLASSES, loaded.classes());
        Map<String, Tensor> saved = TorchvisionWeights.stateDict(model);
        Map<String, Tensor> read = TorchvisionWeights.stateDict(loaded.model());
        assertEquals(saved.keySet(), read.keySet());
        saved.forEach((key, value) -> assertTrue(torch.equal(value, read.get(key)), key));
    }

    @Test
    void aRunWithoutClassNamesGetsNumberedOnes() throws IOException {
        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        Path dir = run(model, CLASSES);
        // config.json as runs wrote it before the class names were kept
        Files.writeString(dir.resolve(MaskRcnnCheckpoint.CONFIG_FILE), Files.readString(
                dir.resolve(MaskRcnnCheckpoint.CONFIG_FILE)).replaceAll("\"classes\"\\s*:\\s*\\[[^]]*],", ""));
        assertTrue(!Files.readString(dir.resolve(MaskRcnnCheckpoint.CONFIG_FILE)).contains("square"));
        assertEquals(List.of("class0", "class1", "class2", "class3", "class4", "class5"),
                MaskRcnnCheckpoint.load(dir, Device.cpu()).classes().names());
    }

    @Test
    void brokenRunsFailInOneLineNamingTheFile() throws IOException {
        Path missing = tmp.resolve("nowhere");
        assertOneLine(missing + ": not a train-maskrcnn folder", () -> MaskRcnnCheckpoint.load(missing, Device.cpu()));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertOneLine(empty + ": not a train-maskrcnn folder (no config.json)",
                () -> MaskRcnnCheckpoint.load(empty, Device.cpu()));

        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        Path dir = run(model, CLASSES);
        Path weights = dir.resolve(MaskRcnnCheckpoint.MODEL_FILE);
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertOneLine(weights + ": cannot load the weights", () -> MaskRcnnCheckpoint.load(dir, Device.cpu()));
        Files.delete(weights);
        assertOneLine(dir + ": no model.pt", () -> MaskRcnnCheckpoint.load(dir, Device.cpu()));

        Path config = dir.resolve(MaskRcnnCheckpoint.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"square\",", ""));
        assertOneLine(config + ": \"classes\" must list the model's 6 class names",
                () -> MaskRcnnCheckpoint.load(dir, Device.cpu()));
        Files.writeString(config, "{\"model\": ");
        assertOneLine(config + ": cannot read", () -> MaskRcnnCheckpoint.load(dir, Device.cpu()));
    }

    @Test
    void classNamesMustMatchTheModel() {
        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        assertThrows(IllegalArgumentException.class,
                () -> new MaskRcnnCheckpoint(model, new ClassSet(List.of("disc", "square"))));
        assertThrows(IllegalArgumentException.class, () -> new MaskRcnnTrainer(model, new ClassSet(List.of("disc")),
                MaskRcnnTrainer.Options.wise(1), tmp));
    }

    private static void assertOneLine(String start, org.junit.jupiter.api.function.Executable load) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, load);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
