package io.wiseseg.pipeline;

import io.wiseseg.data.VocDataset;
import io.wiseseg.pipeline.RunListener;
import io.wiseseg.pipeline.WiseRun;
import java.nio.file.Path;

public class TrainOnYourData {
    public static void main(String[] args) throws Exception {
        VocDataset voc = VocDataset.open(Path.of(args[0]));           // a VOC-layout dataset
        WiseRun.Settings settings = WiseRun.Settings.forDataset(voc); // sizes, epochs from its images
        RunListener log = RunListener.of((task, done, total) -> { }, System.out::println);
        WiseRun.Result result = WiseRun.run(voc, settings, Path.of(args[1]), log); // resumable
        System.out.printf("pseudo masks %.1f AP50, Mask R-CNN trained on them %.1f AP50%n",
                result.table().get(WiseRun.PSEUDO_ROW).ap50(), result.table().get(WiseRun.WISE_ROW).ap50());
    }
}
