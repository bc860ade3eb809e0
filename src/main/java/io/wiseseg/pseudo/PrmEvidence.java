package io.wiseseg.pseudo;

import io.wiseseg.data.Dataset;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.RgbImage;
import io.wiseseg.prm.ImageTensors;
import io.wiseseg.prm.Peak;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.proposals.Proposal;
import io.wiseseg.proposals.ProposalSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Where the PRM stage plugs into pseudo labelling: for one image, the trained classifier's peaks
 * (as seeds at image resolution), their peak response maps and the class response maps, both
 * resized to the image, plus the image's proposals. Images are labelled from their pixels and,
 * optionally, their image-level labels (the weak supervision): no mask, box or void is read.
 */
public final class PrmEvidence implements PseudoLabeller.EvidenceSource {
    /** Where a peak's seed sits: at the peak, or at the maximum of its response map (WISE's points). */
    public enum Point { PEAK, RESPONSE_MAX }

    private final Dataset dataset;
    private final PeakResponseMaps prm;
    private final int imageSize;
    private final ProposalSource proposals;
    private final SelectionRule.Evidence needs;
    private final Point point;
    private final boolean imageLabels;
    private final StageTimes times = new StageTimes();

    /**
     * @param network   the network {@code prm} runs ({@link PeakResponseMaps#network()}); the class
     *                  maps come from that same forward pass
     * @param imageSize the network input's longer side (the classifier's training size)
     */
    public PrmEvidence(Dataset dataset, PrmNetwork network, PeakResponseMaps prm, int imageSize,
            ProposalSource proposals, SelectionRule.Evidence needs, Point point) {
        this(dataset, network, prm, imageSize, proposals, needs, point, false);
    }

    /**
     * @param imageLabels seeds come from the peaks of the image's labelled classes only (the weak
     *                    supervision); otherwise from every class the classifier scores present
     */
    public PrmEvidence(Dataset dataset, PrmNetwork network, PeakResponseMaps prm, int imageSize,
            ProposalSource proposals, SelectionRule.Evidence needs, Point point, boolean imageLabels) {
        if (network != prm.network()) {
            // the class maps come from prm's forward pass: another network's would not match the peaks
            throw new IllegalArgumentException("the network must be the one the peak response maps run");
        }
        this.imageLabels = imageLabels;
        this.dataset = dataset;
        this.prm = prm;
        this.imageSize = imageSize;
        this.proposals = proposals;
        this.needs = needs;
        this.point = point;
    }

    /** What to compute for {@code rule}: its evidence, plus response maps when seeds sit at their maxima. */
    public static SelectionRule.Evidence needsOf(SelectionRule rule, Point point) {
        SelectionRule.Evidence e = rule.evidence();
        return e == SelectionRule.Evidence.PEAKS && point == Point.RESPONSE_MAX
                ? SelectionRule.Evidence.PEAK_RESPONSE_MAPS : e;
    }

    /** Time per stage: image reading, peaks (+ response maps), resizing, proposals. */
    public StageTimes times() {
        return times;
    }

    @Override
    public ImageEvidence evidence(LabelledImage image) throws IOException {
        long t = System.nanoTime();
        RgbImage rgb = dataset.readImage(image);
        int h = rgb.height(), w = rgb.width();
        int[] in = ImageTensors.inputSize(h, w, imageSize);
        Tensor x = ImageTensors.normalised(rgb, in[0], in[1], false);
        boolean maps = needs != SelectionRule.Evidence.PEAKS;
        t = times.add("image", "image input", t); // decode, resize, normalise
        PeakResponseMaps.Result r = imageLabels ? (maps ? prm.compute(x, image.labels()) : prm.peaks(x, image.labels()))
                : maps ? prm.compute(x) : prm.peaks(x);
        t = times.add(maps ? "peaks + response maps" : "peaks", t);
        int[] maxima = point == Point.RESPONSE_MAX ? r.responseMaxima() : null;
        List<Seed> seeds = new ArrayList<>(r.peaks().size());
        for (int k = 0; k < r.peaks().size(); k++) {
            Peak p = r.peaks().get(k);
            int iy = r.imageY(p), ix = r.imageX(p);
            if (maxima != null) {
                iy = maxima[k] / r.width();
                ix = maxima[k] % r.width();
            }
            // input pixel centre → image pixel
            int y = (int) Math.min(h - 1, Math.floor((iy + 0.5) * h / r.height()));
            int xx = (int) Math.min(w - 1, Math.floor((ix + 0.5) * w / r.width()));
            seeds.add(new Seed(p.classId(), y, xx, p.value()));
        }
        Tensor responseMaps = maps ? resized(r.maps(), h, w, false) : null;
        // PRM resizes the class response maps to the image bicubically; they are the maps that
        // gave the peaks (the network ran once for this image)
        Tensor classMaps = needs == SelectionRule.Evidence.CLASS_MAPS
                ? torch.upsample_bicubic2d(r.classMaps(), new long[] {h, w}, false).select(0, 0).contiguous()
                : null;
        t = times.add("resizing", t);
        List<Proposal> props = proposals.proposals(image, () -> rgb);
        times.add("proposals", t);
        times.countImage();
        // the proposals are host masks, so scoring runs on the CPU: the maps come over once per
        // image, resized on the network's device first (fewer bytes than the network's maps)
        return new ImageEvidence(image.id(), h, w, seeds, onHost(responseMaps), onHost(classMaps), props, null);
    }

    private static Tensor onHost(Tensor t) {
        return t == null || t.is_cpu() ? t : t.cpu();
    }

    /** K×mh×mw maps resized bilinearly to a contiguous K×h×w float tensor (K may be 0). */
    static Tensor resized(Tensor maps, int h, int w, boolean alignCorners) {
        if (maps.size(0) == 0) {
            return torch.zeros(new long[] {0, h, w}, new TensorOptions(torch.ScalarType.Float)
                    .device(new org.bytedeco.pytorch.DeviceOptional(maps.device())));
        }
        if (maps.size(1) == h && maps.size(2) == w) {
            return maps.contiguous();
        }
        return torch.upsample_bilinear2d(maps.unsqueeze(0), new long[] {h, w}, alignCorners).select(0, 0).contiguous();
    }
}
