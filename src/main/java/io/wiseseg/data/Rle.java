package io.wiseseg.data;

import java.util.Arrays;
import java.util.List;

/**
 * A COCO run-length encoded binary mask, bit-exact with pycocotools' C core ({@code maskApi.c}).
 * Runs go down the columns (column-major, the order of a Fortran array), alternate between 0 and
 * 1, and start with a run of zeros that may be empty. Counts are unsigned 32-bit in C; they are
 * stored here as ints and read as unsigned wherever C would.
 */
public final class Rle {
    private final int height;
    private final int width;
    private final int[] counts;

    /** Wraps counts (not copied): column-major runs starting with zeros. */
    public Rle(int height, int width, int[] counts) {
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("RLE size must be >= 0, got " + height + "x" + width);
        }
        this.height = height;
        this.width = width;
        this.counts = counts;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** The uncompressed counts (not a copy): the "counts" list of COCO's uncompressed RLE. */
    public int[] counts() {
        return counts;
    }

    /** As {@code rleEncode}: walks the mask column by column. */
    public static Rle encode(Mask mask) {
        int h = mask.height(), w = mask.width();
        long[] words = mask.words();
        int wpr = mask.wordsPerRow();
        int[] cnts = new int[16];
        int k = 0;
        boolean p = false;
        int c = 0;
        for (int x = 0; x < w; x++) {
            int wi = x >>> 6;
            int bit = x & 63;
            for (int y = 0, i = wi; y < h; y++, i += wpr) {
                boolean v = (words[i] >>> bit & 1L) != 0;
                if (v != p) {
                    if (k == cnts.length) {
                        cnts = Arrays.copyOf(cnts, 2 * k);
                    }
                    cnts[k++] = c;
                    c = 0;
                    p = v;
                }
                c++;
            }
        }
        if (k == cnts.length) {
            cnts = Arrays.copyOf(cnts, k + 1);
        }
        cnts[k++] = c;
        return new Rle(h, w, Arrays.copyOf(cnts, k));
    }

    /** As {@code rleDecode}; counts that overrun H×W are an error rather than a memory overwrite. */
    public Mask decode() {
        Mask m = new Mask(height, width);
        long[] words = m.words();
        int wpr = m.wordsPerRow();
        long total = (long) height * width;
        long pos = 0;
        boolean v = false;
        for (int cnt : counts) {
            long n = Integer.toUnsignedLong(cnt);
            if (pos + n > total) {
                throw new IllegalArgumentException("RLE counts sum past " + height + "x" + width
                        + " = " + total + " pixels");
            }
            if (v) {
                for (long j = pos; j < pos + n; j++) {
                    int x = (int) (j / height), y = (int) (j % height);
                    words[y * wpr + (x >>> 6)] |= 1L << (x & 63);
                }
            }
            pos += n;
            v = !v;
        }
        return m;
    }

    /** As {@code rleArea}: the sum of the odd (foreground) runs. */
    public long area() {
        long a = 0;
        for (int j = 1; j < counts.length; j += 2) {
            a += Integer.toUnsignedLong(counts[j]);
        }
        return a;
    }

    /**
     * As {@code rleToBbox}: {@code [x, y, w, h]}. Note pycocotools' quirk, kept on purpose: when
     * the foreground spans more than one column, y covers the whole height only if a run wraps
     * from one column into the next; all zeros for an empty mask.
     */
    public double[] toBbox() {
        int m = (counts.length / 2) * 2;
        if (m == 0) {
            return new double[4];
        }
        long h = height, w = width;
        long xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
        for (int j = 0; j < m; j++) {
            cc = (cc + Integer.toUnsignedLong(counts[j])) & 0xFFFFFFFFL;
            long t = (cc - (j % 2)) & 0xFFFFFFFFL;
            long y = t % h, x = (t - y) / h;
            if (j % 2 == 0) {
                xp = x;
            } else if (xp < x) {
                ys = 0;
                ye = h - 1;
            }
            xs = Math.min(xs, x);
            xe = Math.max(xe, x);
            ys = Math.min(ys, y);
            ye = Math.max(ye, y);
        }
        return new double[] {xs, ys, xe - xs + 1, ye - ys + 1};
    }

    /** The union ({@code intersect == false}) or intersection of same-size masks, as {@code rleMerge}. */
    public static Rle merge(List<Rle> rles, boolean intersect) {
        if (rles.isEmpty()) {
            return new Rle(0, 0, new int[0]);
        }
        Rle acc = rles.get(0);
        if (rles.size() == 1) {
            return new Rle(acc.height, acc.width, acc.counts.clone());
        }
        for (int i = 1; i < rles.size(); i++) {
            Rle b = rles.get(i);
            if (b.height != acc.height || b.width != acc.width) {
                throw new IllegalArgumentException("cannot merge RLEs of different sizes: "
                        + acc.height + "x" + acc.width + " vs " + b.height + "x" + b.width);
            }
            acc = mergeTwo(acc, b, intersect);
        }
        return acc;
    }

    private static Rle mergeTwo(Rle a, Rle b, boolean intersect) {
        int[] out = new int[a.counts.length + b.counts.length + 1];
        int m = 0;
        long ca = Integer.toUnsignedLong(a.counts[0]), cb = Integer.toUnsignedLong(b.counts[0]);
        boolean v = false, va = false, vb = false;
        int ia = 1, ib = 1;
        long cc = 0, ct = 1;
        while (ct > 0) {
            long c = Math.min(ca, cb);
            cc += c;
            ct = 0;
            ca -= c;
            if (ca == 0 && ia < a.counts.length) {
                ca = Integer.toUnsignedLong(a.counts[ia++]);
                va = !va;
            }
            ct += ca;
            cb -= c;
            if (cb == 0 && ib < b.counts.length) {
                cb = Integer.toUnsignedLong(b.counts[ib++]);
                vb = !vb;
            }
            ct += cb;
            boolean vp = v;
            v = intersect ? va && vb : va || vb;
            if (v != vp || ct == 0) {
                out[m++] = (int) cc;
                cc = 0;
            }
        }
        return new Rle(a.height, a.width, Arrays.copyOf(out, m));
    }

    /**
     * IoU of every detection with every ground truth, {@code [d][g]}, as {@code rleIou}: for a
     * crowd ground truth the union is the detection's area alone. Pairs whose boxes do not
     * overlap are 0 without walking the runs, exactly like the C code. Sizes must agree (C
     * returns -1 for a mismatch; here it is an error, since it always means a bug upstream).
     */
    public static double[][] iou(List<Rle> dt, List<Rle> gt, boolean[] iscrowd) {
        if (iscrowd != null && iscrowd.length != gt.size()) {
            throw new IllegalArgumentException("iscrowd has " + iscrowd.length + " flags for "
                    + gt.size() + " ground truths");
        }
        double[][] db = new double[dt.size()][];
        double[][] gb = new double[gt.size()][];
        for (int d = 0; d < db.length; d++) {
            db[d] = dt.get(d).toBbox();
        }
        for (int g = 0; g < gb.length; g++) {
            gb[g] = gt.get(g).toBbox();
        }
        double[][] o = new double[dt.size()][gt.size()];
        for (int g = 0; g < gb.length; g++) {
            boolean crowd = iscrowd != null && iscrowd[g];
            Rle gr = gt.get(g);
            for (int d = 0; d < db.length; d++) {
                if (boxIou(db[d], gb[g], crowd) <= 0) {
                    continue;
                }
                Rle dr = dt.get(d);
                if (dr.height != gr.height || dr.width != gr.width) {
                    throw new IllegalArgumentException("IoU of RLEs of different sizes: "
                            + dr.height + "x" + dr.width + " vs " + gr.height + "x" + gr.width);
                }
                o[d][g] = maskIou(dr, gr, crowd);
            }
        }
        return o;
    }

    /** IoU of two same-size masks by walking their runs together. */
    static double maskIou(Rle dt, Rle gt, boolean crowd) {
        long ca = Integer.toUnsignedLong(dt.counts[0]), cb = Integer.toUnsignedLong(gt.counts[0]);
        int ka = dt.counts.length, kb = gt.counts.length;
        boolean va = false, vb = false;
        int a = 1, b = 1;
        long inter = 0, union = 0, ct = 1;
        while (ct > 0) {
            long c = Math.min(ca, cb);
            if (va || vb) {
                union += c;
                if (va && vb) {
                    inter += c;
                }
            }
            ct = 0;
            ca -= c;
            if (ca == 0 && a < ka) {
                ca = Integer.toUnsignedLong(dt.counts[a++]);
                va = !va;
            }
            ct += ca;
            cb -= c;
            if (cb == 0 && b < kb) {
                cb = Integer.toUnsignedLong(gt.counts[b++]);
                vb = !vb;
            }
            ct += cb;
        }
        if (inter == 0) {
            union = 1;
        } else if (crowd) {
            union = dt.area();
        }
        return (double) inter / (double) union;
    }

    /** As {@code bbIou} for one pair of {@code [x, y, w, h]} boxes. */
    static double boxIou(double[] d, double[] g, boolean crowd) {
        double w = Math.min(d[2] + d[0], g[2] + g[0]) - Math.max(d[0], g[0]);
        if (w <= 0) {
            return 0;
        }
        double h = Math.min(d[3] + d[1], g[3] + g[1]) - Math.max(d[1], g[1]);
        if (h <= 0) {
            return 0;
        }
        double i = w * h;
        double da = d[2] * d[3];
        double u = crowd ? da : da + g[2] * g[3] - i;
        return i / u;
    }

    /**
     * Rasterises one polygon {@code [x0, y0, x1, y1, ...]} as {@code rleFrPoly} does (COCO's
     * "segmentation" polygons): the outline is traced at 5× resolution and a pixel is inside
     * when its centre lies below a crossing of the outline, column by column.
     */
    public static Rle fromPolygon(double[] xy, int height, int width) {
        if (xy.length < 6 || xy.length % 2 != 0) {
            throw new IllegalArgumentException("a polygon needs an even number >= 6 of coordinates, got "
                    + xy.length);
        }
        int k = xy.length / 2;
        double scale = 5;
        int[] x = new int[k + 1], y = new int[k + 1];
        for (int j = 0; j < k; j++) {
            x[j] = (int) (scale * xy[2 * j] + .5);
            y[j] = (int) (scale * xy[2 * j + 1] + .5);
        }
        x[k] = x[0];
        y[k] = y[0];
        int m = 0;
        for (int j = 0; j < k; j++) {
            m += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1;
        }
        int[] u = new int[m], v = new int[m];
        m = 0;
        for (int j = 0; j < k; j++) {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.abs(xe - xs), dy = Math.abs(ys - ye);
            boolean flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip) {
                int t = xs;
                xs = xe;
                xe = t;
                t = ys;
                ys = ye;
                ye = t;
            }
            double s = dx >= dy ? (double) (ye - ys) / dx : (double) (xe - xs) / dy;
            if (dx >= dy) {
                for (int d = 0; d <= dx; d++) {
                    int t = flip ? dx - d : d;
                    u[m] = t + xs;
                    v[m] = (int) (ys + s * t + .5);
                    m++;
                }
            } else {
                for (int d = 0; d <= dy; d++) {
                    int t = flip ? dy - d : d;
                    v[m] = t + ys;
                    u[m] = (int) (xs + s * t + .5);
                    m++;
                }
            }
        }
        // points where the traced outline crosses a pixel column centre, downsampled
        int n = m;
        long[] a = new long[n + 1];
        int na = 0;
        for (int j = 1; j < n; j++) {
            if (u[j] == u[j - 1]) {
                continue;
            }
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + .5) / scale - .5;
            if (Math.floor(xd) != xd || xd < 0 || xd > width - 1) {
                continue;
            }
            double yd = (Math.min(v[j], v[j - 1]) + .5) / scale - .5;
            if (yd < 0) {
                yd = 0;
            } else if (yd > height) {
                yd = height;
            }
            yd = Math.ceil(yd);
            a[na++] = ((long) ((int) xd * height + (int) yd)) & 0xFFFFFFFFL;
        }
        a[na++] = (long) height * width;
        Arrays.sort(a, 0, na);
        long p = 0;
        for (int j = 0; j < na; j++) {
            long t = a[j];
            a[j] -= p;
            p = t;
        }
        int[] b = new int[na];
        int j = 0;
        m = 0;
        b[m++] = (int) a[j++];
        while (j < na) {
            if (a[j] > 0) {
                b[m++] = (int) a[j++];
            } else {
                j++;
                if (j < na) {
                    b[m - 1] += (int) a[j++];
                }
            }
        }
        return new Rle(height, width, Arrays.copyOf(b, m));
    }

    /**
     * COCO's compressed string, as {@code rleToString}: each count (minus the count two before
     * it, from the fourth on) in 5-bit groups, low first, as chars 48 + group, bit 0x20 meaning
     * "more groups follow"; the sign lives in bit 0x10 of the last group.
     */
    public String toCompressedString() {
        StringBuilder s = new StringBuilder(counts.length * 2);
        for (int i = 0; i < counts.length; i++) {
            long x = Integer.toUnsignedLong(counts[i]);
            if (i > 2) {
                x -= Integer.toUnsignedLong(counts[i - 2]);
            }
            boolean more = true;
            while (more) {
                int c = (int) (x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) {
                    c |= 0x20;
                }
                s.append((char) (c + 48));
            }
        }
        return s.toString();
    }

    /** Parses COCO's compressed string, as {@code rleFrString}; bad characters are an error. */
    public static Rle fromCompressedString(String s, int height, int width) {
        int[] cnts = new int[s.length()];
        int m = 0, p = 0;
        while (p < s.length()) {
            long x = 0;
            int k = 0;
            boolean more = true;
            while (more) {
                if (p >= s.length()) {
                    throw new IllegalArgumentException("truncated RLE string at char " + p);
                }
                int c = s.charAt(p) - 48;
                if (c < 0 || c > 63) {
                    throw new IllegalArgumentException("invalid RLE string char '" + s.charAt(p)
                            + "' at " + p);
                }
                x |= (long) (c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) {
                    x |= -1L << (5 * k);
                }
            }
            if (m > 2) {
                x += Integer.toUnsignedLong(cnts[m - 2]);
            }
            cnts[m++] = (int) x;
        }
        return new Rle(height, width, Arrays.copyOf(cnts, m));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Rle r && r.height == height && r.width == width
                && Arrays.equals(r.counts, counts);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * height + width) + Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return "Rle[" + height + "x" + width + ", " + counts.length + " runs]";
    }
}
