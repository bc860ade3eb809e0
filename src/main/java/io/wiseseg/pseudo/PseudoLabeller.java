package io.wiseseg.pseudo;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.util.AtomicFiles;
import io.wiseseg.util.Trace;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns seeds, maps and proposals into pseudo masks: the rule picks one proposal per seed, then
 * optionally the seeds of one class whose choices overlap are merged (one pseudo mask per object,
 * {@link InstanceNms#sameClass}), then optionally overlapping choices of different classes are
 * resolved to one class ({@link ClassConflicts}), then optional instance NMS, then void pixels are zeroed (an
 * instance left empty is dropped).
 *
 * <p>For a split, {@link #labelSplit} writes one COCO results file (image_id, category_id,
 * segmentation as RLE, bbox, score), which {@code CocoJson.readResults} and pycocotools read.
 * It is resumable: each image's result is first written to {@code <out>.parts/<id>.json}
 * (atomically, via CocoJson), an image whose part exists is skipped, and the final file is
 * assembled from the parts into a temporary file and renamed. {@code <out>.parts/SETTINGS}
 * records the rule; parts made with other settings are refused, not mixed.
 */
public final class PseudoLabeller {
    /** Produces one image's evidence (peaks, maps, proposals): where the PRM stage plugs in. */
    @FunctionalInterface
    public interface EvidenceSource {
        ImageEvidence evidence(LabelledImage image) throws IOException;
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String TASK = "pseudo masks";

    private final SelectionRule rule;
    private final InstanceNms merge;
    private final ClassConflicts conflicts;
    private final InstanceNms nms;
    private final ProposalScorer scorer;
    private final StageTimes times = new StageTimes();

    /** @param nms instance NMS, or null for none (WISE's best objectness uses none) */
    public PseudoLabeller(SelectionRule rule, InstanceNms nms, ProposalScorer scorer) {
        this(rule, null, nms, scorer);
    }

    /**
     * @param merge the merge of one class's overlapping choices ({@link InstanceNms#sameClass}), or null for none
     * @param nms   instance NMS after it, or null for none
     */
    public PseudoLabeller(SelectionRule rule, InstanceNms merge, InstanceNms nms, ProposalScorer scorer) {
        this(rule, merge, null, nms, scorer);
    }

    /**
     * @param merge     the merge of one class's overlapping choices, or null for none
     * @param conflicts after it, one class per object ({@link ClassConflicts}; the evidence must then
     *                  carry class maps), or null for none
     * @param nms       instance NMS after them, or null for none
     */
    public PseudoLabeller(SelectionRule rule, InstanceNms merge, ClassConflicts conflicts, InstanceNms nms,
            ProposalScorer scorer) {
        this.rule = rule;
        this.merge = merge;
        this.conflicts = conflicts;
        this.nms = nms;
        this.scorer = scorer;
    }

    /** Time per stage of the images this labeller labelled (resumed images are not counted). */
    public StageTimes times() {
        return times;
    }

    public String description() {
        return rule.description() + (merge == null ? "" : "; " + merge.description())
                + (conflicts == null ? "" : "; " + conflicts.description())
                + (nms == null ? "" : "; " + nms.description());
    }

    /** The selected instances of one image, after the merge, NMS and void removal. */
    public List<PseudoInstance> select(ImageEvidence e) {
        Selection s = rule.select(e, scorer);
        List<PseudoInstance> chosen = new ArrayList<>();
        for (int k = 0; k < s.size(); k++) {
            int p = s.proposal()[k];
            if (p != Selection.NONE) {
                chosen.add(new PseudoInstance(k, e.seeds().get(k).classId(), p, e.proposals().get(p).mask(),
                        s.score()[k], List.of()));
            }
        }
        if (merge != null) {
            chosen = merge.apply(chosen);
        }
        if (conflicts != null) {
            if (e.classMaps() == null) {
                throw new IllegalStateException("image " + e.imageId() + ": one class per object needs the class maps");
            }
            chosen = conflicts.apply(chosen, e.classMaps());
        }
        if (nms != null) {
            chosen = nms.apply(chosen);
        }
        if (e.voidMask() == null) {
            return chosen;
        }
        List<PseudoInstance> out = new ArrayList<>(chosen.size());
        for (PseudoInstance in : chosen) {
            Mask m = in.mask().andNot(e.voidMask());
            if (!m.isEmpty()) {
                out.add(in.withMask(m));
            }
        }
        return out;
    }

    public ImagePrediction label(ImageEvidence e) {
        List<Instance> instances = new ArrayList<>();
        for (PseudoInstance in : select(e)) {
            instances.add(Instance.of(in.classId(), in.mask(), (float) in.score()));
        }
        return new ImagePrediction(e.imageId(), e.height(), e.width(), instances);
    }

    /**
     * Labels every image of a split into one COCO results file.
     *
     * @param categoryIds the COCO category id of each class id
     */
    public void labelSplit(List<LabelledImage> images, EvidenceSource source, List<Integer> categoryIds,
            Path out, ProgressListener listener) throws IOException {
        Path parts = out.resolveSibling(out.getFileName() + ".parts");
        checkSettings(parts);
        listener.progress(TASK, 0, images.size());
        int done = 0;
        for (LabelledImage image : images) {
            Path part = partFile(parts, image.id());
            if (!Files.exists(part)) {
                try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope();
                        Trace.Span s = Trace.span("image", "pseudo").arg("id", image.id())) {
                    labelOne(image, source, categoryIds, part);
                }
            }
            listener.progress(TASK, ++done, images.size());
        }
        assemble(images, parts, out);
    }

    /** One image's evidence, selection and part file; its tensors are freed when the scope closes. */
    private void labelOne(LabelledImage image, EvidenceSource source, List<Integer> categoryIds, Path part)
            throws IOException {
        long t = System.nanoTime();
        ImageEvidence e = source.evidence(image);
        t = times.add("evidence", t);
        if (!e.imageId().equals(image.id()) || e.height() != image.height() || e.width() != image.width()) {
            throw new IllegalArgumentException("evidence for image " + image.id() + " describes image "
                    + e.imageId() + " of " + e.width() + "x" + e.height());
        }
        ImagePrediction labelled = label(e);
        t = times.add("scoring + selection", t);
        CocoJson.writeResults(part, List.of(labelled), categoryIds);
        times.add("writing", "encode", t); // RLE + JSON of the part file
        times.countImage();
    }

    private void checkSettings(Path parts) throws IOException {
        Files.createDirectories(parts);
        Path settings = parts.resolve("SETTINGS");
        String want = description();
        if (Files.exists(settings)) {
            String have = Files.readString(settings, StandardCharsets.UTF_8).strip();
            if (!have.equals(want)) {
                throw new IOException(parts + ": holds pseudo masks made with '" + have + "', not '" + want
                        + "'; delete the folder or choose another output");
            }
            return;
        }
        AtomicFiles.writeString(settings, want + "\n");
    }

    private static Path partFile(Path parts, String id) throws IOException {
        if (id.isEmpty() || id.contains("/") || id.contains("\\") || id.startsWith(".")) {
            throw new IOException(parts + ": image id '" + id + "' cannot name a part file");
        }
        return parts.resolve(id + ".json");
    }

    /** Concatenates the parts in split order, streaming, into a temporary file, then renames it. */
    private static void assemble(List<LabelledImage> images, Path parts, Path out) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        AtomicFiles.write(out, tmp -> {
            try (OutputStream os = Files.newOutputStream(tmp);
                    JsonGenerator g = new JsonFactory(MAPPER).createGenerator(os)) {
                g.writeStartArray();
                for (LabelledImage image : images) {
                    Path part = partFile(parts, image.id());
                    JsonNode list;
                    try {
                        list = MAPPER.readTree(part.toFile());
                    } catch (JsonProcessingException e) {
                        throw new IOException(part + ": not valid JSON (" + e.getOriginalMessage()
                                + "); delete it to relabel the image");
                    }
                    if (list == null || !list.isArray()) {
                        throw new IOException(part + ": expected a JSON list of results; delete it to relabel");
                    }
                    for (JsonNode r : list) {
                        g.writeTree(r);
                    }
                }
                g.writeEndArray();
            }
        });
    }
}
