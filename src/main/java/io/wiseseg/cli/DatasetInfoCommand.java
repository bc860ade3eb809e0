package io.wiseseg.cli;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Instance;
import io.wiseseg.data.VocDataset;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code wiseseg dataset info DIR}: split sizes, per-class counts, instances per image. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Summarise a VOC-layout dataset: split sizes, images and instances per class, "
                + "and a histogram of instances per image.")
final class DatasetInfoCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Dataset root (VOC layout).")
    Path dir;

    @Option(names = "--sbd", paramLabel = "DIR", description = "SBD root (cls/, inst/, train.txt, val.txt); "
            + "default: DIR/SBD when present.")
    Path sbd;

    @Option(names = "--split", description = "Count only this split (default: every image of every split).")
    String split;

    @Override
    public void run() {
        VocDataset voc = sbd == null ? VocDataset.open(dir) : VocDataset.open(dir, sbd);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("dataset %s: %d classes%n", dir, voc.classes().size());
        out.println("splits:");
        for (String s : voc.splits()) {
            out.printf("  %-12s %7d images%n", s, voc.ids(s).size());
        }
        Set<String> ids = new LinkedHashSet<>();
        for (String s : split == null ? voc.splits() : List.of(split)) {
            ids.addAll(voc.ids(s));
        }
        int classes = voc.classes().size();
        long[] imagesWith = new long[classes], instances = new long[classes];
        TreeMap<Integer, Integer> perImage = new TreeMap<>();
        List<String> idList = new ArrayList<>(ids);
        try (ProgressBarListener bar = new ProgressBarListener()) {
            bar.progress("scan", 0, idList.size());
            for (int i = 0; i < idList.size(); i++) {
                AnnotatedImage a = voc.annotate(voc.image(idList.get(i)));
                for (int c : a.image().labels()) {
                    imagesWith[c]++;
                }
                for (Instance inst : a.instances()) {
                    instances[inst.classId()]++;
                }
                perImage.merge(a.instances().size(), 1, Integer::sum);
                bar.progress("scan", i + 1, idList.size());
            }
        }
        out.printf("%d images scanned (%s)%n", idList.size(), split == null ? "all splits" : "split " + split);
        out.printf("  %-14s %8s %10s%n", "class", "images", "instances");
        for (int c = 0; c < classes; c++) {
            out.printf("  %-14s %8d %10d%n", voc.classes().name(c), imagesWith[c], instances[c]);
        }
        out.println("instances per image:");
        int most = perImage.values().stream().mapToInt(Integer::intValue).max().orElse(1);
        for (var e : perImage.entrySet()) {
            out.printf("  %3d %7d %s%n", e.getKey(), e.getValue(), "#".repeat(Math.max(1, 40 * e.getValue() / most)));
        }
        out.flush();
    }
}
