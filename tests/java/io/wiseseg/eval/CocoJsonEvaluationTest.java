package io.wiseseg.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ground truth and predictions written as COCO JSON and read back evaluate the same. */
class CocoJsonEvaluationTest {
    @TempDir
    Path dir;

    @Test
    void evaluationSurvivesARoundTripThroughCocoJson() throws IOException {
        EvaluatorFixtureTest.load();
        var ds = new CocoDataset(EvaluatorFixtureTest.classes,
                CocoDataset.defaultCategoryIds(EvaluatorFixtureTest.classes),
                EvaluatorFixtureTest.gt.stream().map(GroundTruth::image).toList(),
                EvaluatorFixtureTest.gt.stream().filter(g -> !g.crowd().isEmpty())
                        .collect(java.util.stream.Collectors.toMap(GroundTruth::id, GroundTruth::crowd)));
        Path gtFile = dir.resolve("gt.json"), resFile = dir.resolve("res.json");
        CocoJson.writeDataset(gtFile, ds);
        CocoJson.writeResults(resFile, EvaluatorFixtureTest.preds.stream()
                .filter(p -> !p.imageId().equals("extra")).toList(), ds.classes());
        CocoDataset back = CocoJson.readDataset(gtFile, dir);
        List<ImagePrediction> preds = CocoJson.readResults(resFile, back);
        for (Evaluator e : List.of(new ReferenceAp(), new CocoAp(), new VocR(), new Abo())) {
            EvaluationReport before = e.evaluate(EvaluatorFixtureTest.gt, EvaluatorFixtureTest.preds,
                    EvaluatorFixtureTest.classes);
            EvaluationReport after = e.evaluate(GroundTruth.of(back), preds, back.classes());
            assertArrayEquals(before.mean(), after.mean(), 0.0, e.getClass().getSimpleName());
        }
    }
}
