package io.wiseseg.prm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.Box;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.Dataset;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.Mask;
import io.wiseseg.data.ProgressListener;
import io.wiseseg.data.RgbImage;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Objects shown alone to a classifier: the input it sees, and how the answers are counted. */
class IsolatedObjectsTest {
    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    /**
     * Worked by hand: a 10×20 image at input 5×10 (each input pixel 2×2 image pixels, centres at
     * image coordinates 1, 3, 5, ...), box x 4..8, y 2..6, widened by 0.4 to x 3.6..8.4, y
     * 1.6..6.4: the centres inside are x 5, 7 (input columns 2, 3) and y 3, 5 (input rows 1, 2).
     */
    @Test
    void onlyTheWidenedBoxIsKept() {
        Random r = new Random(7);
        float[] v = new float[3 * 5 * 10];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat() * 4 - 2;
        }
        Tensor x = Tensors.floats(v, 1, 3, 5, 10);
        float[] got = Tensors.toFloats(IsolatedObjects.alone(x, new Box(4, 2, 8, 6), 10, 20));
        float[] want = new float[v.length];
        for (int c = 0; c < 3; c++) {
            for (int y : new int[] {1, 2}) {
                for (int xx : new int[] {2, 3}) {
                    int i = (c * 5 + y) * 10 + xx;
                    want[i] = v[i];
                }
            }
        }
        assertArrayEquals(want, got, 0f); // exact; a masked negative value is -0.0
    }

    /**
     * Images of two objects each, a red, green or blue square (classes 0..2) on black; the scorer
     * sums each colour channel's positive (above-mean) values and adds a bias to class 3, which no
     * image is labelled with. Shown alone, every object's own channel wins among the image's
     * labels; over all classes the biased class 3 always wins. Shown whole (the mutation of not
     * masking), the larger square would name both objects of its image.
     */
    @Test
    void countsWhatTheScorerNamesForEachObjectAlone() {
        ClassSet classes = new ClassSet(List.of("red", "green", "blue", "never"));
        List<AnnotatedImage> images = new ArrayList<>();
        Map<String, RgbImage> pixels = new java.util.HashMap<>();
        int[][] pairs = {{0, 1}, {1, 2}, {2, 0}, {0, 2}};
        for (int i = 0; i < pairs.length; i++) {
            int h = 40, w = 64;
            byte[] rgb = new byte[h * w * 3];
            List<Instance> objects = new ArrayList<>();
            int[] sides = {14, 8}; // different sizes: shown whole, the larger one wins
            int[] lefts = {4, 40};
            for (int k = 0; k < 2; k++) {
                Mask m = new Mask(h, w);
                for (int y = 10; y < 10 + sides[k]; y++) {
                    for (int x = lefts[k]; x < lefts[k] + sides[k]; x++) {
                        m.set(y, x, true);
                        rgb[(y * w + x) * 3 + pairs[i][k]] = (byte) 255;
                    }
                }
                objects.add(Instance.of(pairs[i][k], m, 1f));
            }
            LabelledImage li = new LabelledImage("im" + i, Path.of("im" + i), w, h, pairs[i]);
            images.add(new AnnotatedImage(li, objects, null));
            pixels.put(li.id(), new RgbImage(w, h, rgb));
        }
        Dataset data = new InMemory(classes, images, pixels);
        Function<Tensor, float[]> scorer = t -> {
            float[] s = new float[4];
            float[] v = Tensors.toFloats(t.contiguous());
            int plane = (int) (t.size(2) * t.size(3));
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < plane; p++) {
                    s[c] += Math.max(0f, v[c * plane + p]);
                }
            }
            s[3] = 1e6f;
            return s;
        };
        IsolatedObjects alone = IsolatedObjects.of(data, "val", 64, scorer, ProgressListener.NONE);
        assertEquals(8, alone.objects());
        assertEquals(0, alone.correct()); // class 3's bias wins over all classes
        assertEquals(8, alone.correctAmongLabels());
        assertEquals(0.5, alone.chanceAmongLabelsShare(), 1e-12);
        assertEquals(0.25, alone.chance(), 1e-12);
        assertEquals(1.0, alone.accuracyAmongLabels(), 1e-12);

        // an image whose labels name no class: among its labels is among all four, where class 3's bias wins
        AnnotatedImage first = images.get(0);
        LabelledImage unlabelled = new LabelledImage(first.labelled().id(), first.labelled().imagePath(),
                first.labelled().width(), first.labelled().height(), new int[0]);
        Dataset bare = new InMemory(classes, List.of(new AnnotatedImage(unlabelled, first.instances(), null)), pixels);
        IsolatedObjects none = IsolatedObjects.of(bare, "val", 64, scorer, ProgressListener.NONE);
        assertEquals(2, none.objects());
        assertEquals(0, none.correctAmongLabels());
        assertEquals(0.25, none.chanceAmongLabelsShare(), 1e-12);
    }

    /** A dataset held in memory, one split "val". */
    private record InMemory(ClassSet classes, List<AnnotatedImage> images, Map<String, RgbImage> pixels)
            implements Dataset {
        @Override
        public List<String> splits() {
            return List.of("val");
        }

        @Override
        public List<LabelledImage> labelled(String split) {
            return images.stream().map(AnnotatedImage::labelled).toList();
        }

        @Override
        public LabelledImage image(String id) {
            return find(id).labelled();
        }

        @Override
        public AnnotatedImage annotate(LabelledImage image) {
            return find(image.id());
        }

        @Override
        public RgbImage readImage(LabelledImage image) {
            return pixels.get(image.id());
        }

        private AnnotatedImage find(String id) {
            return images.stream().filter(a -> a.labelled().id().equals(id)).findFirst().orElseThrow();
        }
    }
}
