package io.wiseseg.data;

import java.nio.file.Path;
import java.util.Map;

/**
 * One SBD annotation file ({@code cls/<id>.mat} holding struct GTcls, or {@code inst/<id>.mat}
 * holding GTinst): its {@code Segmentation} map as row-major bytes and, for GTinst, the class of
 * each instance id from {@code Categories} (1-based VOC class indices).
 */
record SbdMat(int width, int height, byte[] segmentation, int[] categories) {
    static SbdMat read(Path file, String structName) {
        Map<String, MatFile.Value> vars = MatFile.read(file);
        if (!(vars.get(structName) instanceof MatFile.Struct s)) {
            throw new DatasetException(file, "no struct '" + structName + "' (found " + vars.keySet() + ")");
        }
        if (!(s.field("Segmentation") instanceof MatFile.NumericArray seg) || seg.dims().length != 2) {
            throw new DatasetException(file, structName + ".Segmentation is missing or not a 2-D array");
        }
        int height = seg.rows(), width = seg.cols();
        byte[] rowMajor = new byte[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double v = seg.get(y, x);
                if (v < 0 || v > 255 || v != Math.rint(v)) {
                    throw new DatasetException(file, structName + ".Segmentation holds " + v + ", not a uint8 id");
                }
                rowMajor[y * width + x] = (byte) (int) v;
            }
        }
        int[] categories = new int[0];
        if (s.field("Categories") instanceof MatFile.NumericArray cats) {
            categories = new int[cats.data().length];
            for (int i = 0; i < categories.length; i++) {
                categories[i] = (int) cats.data()[i];
            }
        }
        return new SbdMat(width, height, rowMajor, categories);
    }
}
