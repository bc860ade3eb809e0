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
}
