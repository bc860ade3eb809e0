package io.wiseseg.maskrcnn;

/** Box utilities on flat n × 4 float arrays (x1, y1, x2, y2), as torchvision.ops.boxes. */
final class Boxes {
    private Boxes() {}

    /** Clamps x to [0, width] and y to [0, height], in place. */
    static void clip(float[] boxes, int height, int width) {
        for (int i = 0; i < boxes.length; i += 4) {
            boxes[i] = Math.min(Math.max(boxes[i], 0f), width);
            boxes[i + 1] = Math.min(Math.max(boxes[i + 1], 0f), height);
            boxes[i + 2] = Math.min(Math.max(boxes[i + 2], 0f), width);
            boxes[i + 3] = Math.min(Math.max(boxes[i + 3], 0f), height);
        }
    }

    /** Whether both sides of box i are at least {@code minSize}. */
    static boolean largeEnough(float[] boxes, int i, float minSize) {
        return boxes[4 * i + 2] - boxes[4 * i] >= minSize && boxes[4 * i + 3] - boxes[4 * i + 1] >= minSize;
    }

    /** IoU matrix a.length/4 × b.length/4, row-major (torchvision's box_iou). */
    static float[] iou(float[] a, float[] b) {
        int n = a.length / 4, m = b.length / 4;
        float[] out = new float[n * m];
        float[] areaB = new float[m];
        for (int j = 0; j < m; j++) {
            areaB[j] = (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]);
        }
        for (int i = 0; i < n; i++) {
            float areaA = (a[4 * i + 2] - a[4 * i]) * (a[4 * i + 3] - a[4 * i + 1]);
            for (int j = 0; j < m; j++) {
                float w = Math.max(0f, Math.min(a[4 * i + 2], b[4 * j + 2]) - Math.max(a[4 * i], b[4 * j]));
                float h = Math.max(0f, Math.min(a[4 * i + 3], b[4 * j + 3]) - Math.max(a[4 * i + 1], b[4 * j + 1]));
                float inter = w * h;
                out[i * m + j] = inter / (areaA + areaB[j] - inter);
            }
        }
        return out;
    }

    /** Rows {@code idx} of an n × 4 array. */
    static float[] select(float[] boxes, int[] idx) {
        float[] out = new float[idx.length * 4];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(boxes, 4 * idx[i], out, 4 * i, 4);
        }
        return out;
    }
}
