package io.wiseseg.pseudo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiseseg.data.Mask;
import io.wiseseg.proposals.Proposal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The rules on the scorer's matrices agree with the reference's way: a plain loop over each
 * proposal's pixels (here in Java over Masks, with the 5×5 morphological gradient spelled out).
 */
class RulesMatchLoopTest {
    record Case(int h, int w, List<Proposal> proposals, List<Seed> seeds, float[] prms, float[] classMaps, int c) {
        ImageEvidence evidence() {
            return new ImageEvidence("r", h, w, seeds, Inputs.maps(prms, seeds.size(), h, w),
                    Inputs.maps(classMaps, c, h, w), proposals, null);
        }
    }

    static Case random(long seed, int h, int w, int p, int k, int c) {
        Random rnd = new Random(seed);
        List<Proposal> props = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            Mask m = new Mask(h, w);
            int y0 = rnd.nextInt(h), x0 = rnd.nextInt(w);
            int y1 = y0 + 1 + rnd.nextInt(h - y0), x1 = x0 + 1 + rnd.nextInt(w - x0);
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    m.set(y, x, rnd.nextFloat() > 0.15f);
                }
            }
            if (m.isEmpty()) {
                m.set(y0, x0, true);
            }
            props.add(new Proposal(m, rnd.nextFloat()));
        }
        props.sort((a, b) -> Float.compare(b.score(), a.score()));
        List<Seed> seeds = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            seeds.add(new Seed(rnd.nextInt(c), rnd.nextInt(h), rnd.nextInt(w), rnd.nextFloat()));
        }
        float[] prms = new float[k * h * w], cls = new float[c * h * w];
        for (int i = 0; i < prms.length; i++) {
            prms[i] = rnd.nextFloat() < 0.5f ? 0f : rnd.nextFloat();
        }
        for (int i = 0; i < cls.length; i++) {
            cls[i] = rnd.nextFloat() * 4 - 1;
        }
        return new Case(h, w, props, seeds, prms, cls, c);
    }

    static boolean onContour(Mask m, int y, int x, int r) {
        boolean in = false, out = false;
        for (int yy = Math.max(0, y - r); yy <= Math.min(m.height() - 1, y + r); yy++) {
            for (int xx = Math.max(0, x - r); xx <= Math.min(m.width() - 1, x + r); xx++) {
                if (m.get(yy, xx)) {
                    in = true;
                } else {
                    out = true;
                }
            }
        }
        return in && out;
    }

    /** PRM's instance_seg inner loop, per proposal. */
    static Selection prmLoop(Case cs, PrmRetrieval.Params q, int count, double minA, double maxA) {
        int k = cs.seeds.size(), n = cs.h * cs.w;
        Selection out = Selection.empty(k);
        for (int j = 0; j < k; j++) {
            Seed s = cs.seeds.get(j);
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += cs.classMaps[s.classId() * n + i];
            }
            float t = (float) (q.bgThresholdFactor() * (mean / n));
            double best = Double.NEGATIVE_INFINITY;
            for (int p = 0; p < Math.min(count, cs.proposals.size()); p++) {
                Mask m = cs.proposals.get(p).mask();
                long area = m.area();
                if (area >= maxA * n || area < minA * n) {
                    continue;
                }
                double inside = 0, contour = 0, bg = 0;
                for (int y = 0; y < cs.h; y++) {
                    for (int x = 0; x < cs.w; x++) {
                        float r = cs.prms[j * n + y * cs.w + x];
                        if (m.get(y, x)) {
                            inside += r;
                            if (cs.classMaps[s.classId() * n + y * cs.w + x] < t) {
                                bg++;
                            }
                        }
                        if (onContour(m, y, x, 2)) {
                            contour += r;
                        }
                    }
                }
                double v = q.balanceFactor() * inside + contour - q.penaltyFactor() * bg;
                if (v > best) {
                    best = v;
                    out.proposal()[j] = p;
                    out.score()[j] = v;
                }
            }
        }
        return out;
    }

    static Selection iouLoop(Case cs, double factor) {
        int k = cs.seeds.size(), n = cs.h * cs.w;
        Selection out = Selection.empty(k);
        for (int j = 0; j < k; j++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += cs.prms[j * n + i];
            }
            Mask t = new Mask(cs.h, cs.w);
            float thr = (float) (factor * (mean / n));
            for (int i = 0; i < n; i++) {
                t.set(i / cs.w, i % cs.w, cs.prms[j * n + i] >= thr);
            }
            double best = 0;
            for (int p = 0; p < cs.proposals.size(); p++) {
                double iou = cs.proposals.get(p).mask().iou(t);
                if (iou > best) {
                    best = iou;
                    out.proposal()[j] = p;
                    out.score()[j] = iou;
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"1, 23, 70, 40, 6, 4", "2, 31, 64, 25, 3, 2", "3, 9, 130, 60, 8, 5"})
    void prmRetrievalMatchesThePerProposalLoop(long seed, int h, int w, int p, int k, int c) {
        Case cs = random(seed, h, w, p, k, c);
        PrmRetrieval.Params q = new PrmRetrieval.Params(0.9, 0.05, 0.8);
        Selection want = prmLoop(cs, q, 30, 0.01, 0.5);
        Selection got = new PrmRetrieval(q, null, 30, 0.01, 0.5).select(cs.evidence(), Inputs.scorer());
        assertArrayEquals(want.proposal(), got.proposal());
        for (int j = 0; j < k; j++) {
            assertEquals(want.score()[j], got.score()[j], 1e-4 * Math.max(1, Math.abs(want.score()[j])));
        }
    }

    @ParameterizedTest
    @CsvSource({"4, 23, 70, 40, 6, 1", "5, 17, 129, 33, 4, 1"})
    void bestIouMatchesThePerProposalLoop(long seed, int h, int w, int p, int k, int c) {
        Case cs = random(seed, h, w, p, k, c);
        Selection want = iouLoop(cs, 1.5);
        Selection got = new BestIou(1.5, 0).select(cs.evidence(), Inputs.scorer());
        assertArrayEquals(want.proposal(), got.proposal());
        assertArrayEquals(want.score(), got.score(), 1e-12);
    }
}
