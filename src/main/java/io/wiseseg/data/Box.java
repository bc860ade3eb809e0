package io.wiseseg.data;

/** An axis-aligned box in pixels, {@code x1,y1,x2,y2} (x2, y2 exclusive for masks). */
public record Box(float x1, float y1, float x2, float y2) {
    public float width() {
        return x2 - x1;
    }

    public float height() {
        return y2 - y1;
    }

    public float area() {
        return Math.max(0f, width()) * Math.max(0f, height());
    }

    /** Intersection over union with {@code other} (0 when they do not overlap or have no area). */
    public double iou(Box other) {
        double iw = Math.min(x2, other.x2) - Math.max(x1, other.x1), ih = Math.min(y2, other.y2) - Math.max(y1, other.y1);
        if (iw <= 0 || ih <= 0) {
            return 0;
        }
        double inter = iw * ih, union = (double) area() + other.area() - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
