package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class VocDatasetTest {
    private static final Path ROOT = TestResources.path("voc-mini");
    private static final ClassSet C = ClassSet.VOC;

    @Test
    void splitsIncludeTrainAugWhenSbdIsPresent() {
        VocDataset voc = VocDataset.open(ROOT);
        assertEquals(List.of("train", "trainval", "val", "train_aug"), voc.splits());
        assertEquals(List.of("2007_000001"), voc.ids("train"));
        assertEquals(List.of("2007_000001", "2008_000003"), voc.ids("train_aug"));
        assertEquals(List.of("train", "trainval", "val"), VocDataset.open(ROOT, null).splits());
    }

    @Test
    void trainAugIsSbdPlusVocTrainMinusVocVal() {
        assertEquals(List.of("a", "b", "d", "e"), VocDataset.trainAug(List.of("b", "c"), List.of("a"),
                List.of("e", "d", "b"), List.of("c", "x")));
    }

    @Test
    void labelsComeFromXmlOrFromTheMasks() {
        VocDataset voc = VocDataset.open(ROOT);
        LabelledImage one = voc.image("2007_000001");
        assertArrayEquals(new int[] {C.id("dog"), C.id("person")}, one.labels());
        assertEquals(40, one.width());
        assertEquals(30, one.height());
        // 2007_000002 has no XML: its labels are read from SegmentationClass.
        assertArrayEquals(new int[] {C.id("cat")}, voc.image("2007_000002").labels());
        assertArrayEquals(new int[] {C.id("bird"), C.id("car")}, voc.image("2008_000003").labels());
    }

    @Test
    void instancesAreObjectIdsWithTheirClassAndVoidIs255() {
        VocDataset voc = VocDataset.open(ROOT);
        AnnotatedImage a = voc.annotated("train").getFirst();
        assertEquals(2, a.instances().size());
        Instance dog = a.instances().get(0), person = a.instances().get(1);
        assertEquals(C.id("dog"), dog.classId());
        assertEquals(10 * 15, dog.mask().area());
        assertEquals(new Box(4, 5, 14, 20), dog.box());
        assertTrue(dog.mask().get(5, 4));
        assertFalse(dog.mask().get(4, 4));
        // The person is split by a pole into two pieces but stays one instance.
        assertEquals(C.id("person"), person.classId());
        assertEquals((6 + 5) * 18, person.mask().area());
        assertTrue(person.mask().get(8, 20) && person.mask().get(25, 33));
        assertFalse(person.mask().get(10, 27));
        assertEquals(new Box(20, 8, 34, 26), person.box());
        // Void: the 1-pixel band just outside each object, nothing else.
        Mask v = a.voidMask();
        assertTrue(v.get(4, 4) && v.get(10, 3) && v.get(10, 14) && v.get(10, 26) && v.get(10, 28));
        assertFalse(v.get(0, 0) || v.get(10, 27) || v.get(5, 4) || v.get(3, 3));
        assertEquals(0, v.and(dog.mask()).area());
    }

    @Test
    void sbdOnlyImagesTakeTheirInstancesFromTheMatFiles() {
        VocDataset voc = VocDataset.open(ROOT);
        AnnotatedImage a = voc.annotate(voc.image("2008_000003"));
        assertEquals(3, a.instances().size());
        assertEquals(List.of(C.id("bird"), C.id("bird"), C.id("car")),
                a.instances().stream().map(Instance::classId).toList());
        assertEquals(new Box(2, 3, 10, 13), a.instances().get(0).box());
        assertEquals(new Box(12, 3, 20, 13), a.instances().get(1).box());
        assertEquals(new Box(22, 15, 38, 28), a.instances().get(2).box());
        assertEquals(16 * 13, a.instances().get(2).mask().area());
        assertNull(a.voidMask());
        List<AnnotatedImage> aug = voc.annotated("train_aug");
        assertEquals(List.of(2, 3), aug.stream().map(x -> x.instances().size()).toList());
    }

    @Test
    void readsTheJpegPixels() {
        VocDataset voc = VocDataset.open(ROOT);
        RgbImage img = voc.readImage(voc.image("2007_000001"));
        assertEquals(40, img.width());
        assertEquals(30, img.height());
        // Inside the dog the JPEG keeps its flat colour (200, 120, 40) within compression error.
        assertEquals(200, img.get(12, 8, 0), 12);
        assertEquals(120, img.get(12, 8, 1), 12);
        assertEquals(40, img.get(12, 8, 2), 12);
        float[] chw = img.toChw();
        assertEquals(img.get(12, 8, 1) / 255f, chw[40 * 30 + 12 * 40 + 8], 1e-6);
        float[] norm = img.toChwImageNet();
        assertEquals((img.get(0, 0, 2) / 255f - 0.406f) / 0.225f, norm[2 * 1200], 1e-5);
    }

    @Test
    void unknownSplitNamesTheDatasetAndTheChoices() {
        VocDataset voc = VocDataset.open(ROOT);
        DatasetException e = assertThrows(DatasetException.class, () -> voc.labelled("test"));
        assertTrue(e.getMessage().contains("'test'") && e.getMessage().contains("train_aug"), e.getMessage());
    }
}
