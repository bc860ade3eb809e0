package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every broken input fails with one line that names the file and says what is wrong. */
class DatasetErrorsTest {
    @TempDir
    Path tmp;

    private Path copyOfFixture() throws IOException {
        Path src = TestResources.path("voc-mini");
        Path dst = tmp.resolve("voc");
        try (Stream<Path> all = Files.walk(src)) {
            for (Path p : all.toList()) {
                Path to = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return dst;
    }

    private static void assertNames(DatasetException e, Path file, String problem) {
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void missingDatasetDirectory() {
        Path missing = tmp.resolve("nowhere");
        assertNames(assertThrows(DatasetException.class, () -> VocDataset.open(missing)), missing, "does not exist");
    }

    @Test
    void directoryWithoutVocLayout() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertNames(assertThrows(DatasetException.class, () -> VocDataset.open(empty)),
                empty.resolve("ImageSets/Segmentation"), "not a VOC-layout dataset");
    }

    @Test
    void missingImageFile() throws IOException {
        Path root = copyOfFixture();
        Path jpg = root.resolve("JPEGImages/2007_000001.jpg");
        Files.delete(jpg);
        VocDataset voc = VocDataset.open(root);
        assertNames(assertThrows(DatasetException.class, () -> voc.labelled("train")), jpg, "not found");
    }

    @Test
    void truncatedJpeg() throws IOException {
        Path root = copyOfFixture();
        Path jpg = root.resolve("JPEGImages/2007_000001.jpg");
        byte[] bytes = Files.readAllBytes(jpg);
        Files.write(jpg, Arrays.copyOf(bytes, bytes.length * 2 / 3));
        VocDataset voc = VocDataset.open(root);
        LabelledImage img = voc.image("2007_000001"); // the XML gives the size: no pixels read yet
        assertNames(assertThrows(DatasetException.class, () -> voc.readImage(img)), jpg, "truncated JPEG");
    }

    @Test
    void corruptPngMask() throws IOException {
        Path root = copyOfFixture();
        Path png = root.resolve("SegmentationObject/2007_000001.png");
        byte[] bytes = Files.readAllBytes(png);
        for (int i = 60; i < bytes.length - 40; i++) {
            bytes[i] = (byte) (i * 31); // scramble the compressed pixel data, keep the ends
        }
        Files.write(png, bytes);
        VocDataset voc = VocDataset.open(root);
        assertNames(assertThrows(DatasetException.class, () -> voc.annotated("train")), png, "corrupt PNG");
    }

    @Test
    void truncatedPngMask() throws IOException {
        Path root = copyOfFixture();
        Path png = root.resolve("SegmentationClass/2007_000002.png");
        byte[] bytes = Files.readAllBytes(png);
        Files.write(png, Arrays.copyOf(bytes, bytes.length - 30));
        VocDataset voc = VocDataset.open(root);
        assertNames(assertThrows(DatasetException.class, () -> voc.labelled("val")), png, "truncated PNG");
    }

    @Test
    void maskSizeDisagreesWithImage() throws IOException {
        Path root = copyOfFixture();
        Path png = root.resolve("SegmentationObject/2007_000001.png");
        Files.write(png, VocPalette.encodePng(41, 30, new byte[41 * 30]));
        VocDataset voc = VocDataset.open(root);
        assertNames(assertThrows(DatasetException.class, () -> voc.annotated("train")), png, "mask is 41x30");
    }

    @Test
    void imageSizeDisagreesWithAnnotation() throws IOException {
        Path root = copyOfFixture();
        Path xml = root.resolve("Annotations/2007_000001.xml");
        Files.writeString(xml, Files.readString(xml).replace("<width>40</width>", "<width>44</width>"));
        VocDataset voc = VocDataset.open(root);
        LabelledImage img = voc.image("2007_000001");
        assertNames(assertThrows(DatasetException.class, () -> voc.readImage(img)),
                root.resolve("JPEGImages/2007_000001.jpg"), "annotation says 44x30");
    }

    @Test
    void rgbPngWhereAPaletteMaskBelongs() throws IOException {
        Path root = copyOfFixture();
        Path png = root.resolve("SegmentationObject/2007_000001.png");
        java.awt.image.BufferedImage rgb = new java.awt.image.BufferedImage(40, 30,
                java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
        javax.imageio.ImageIO.write(rgb, "png", png.toFile());
        VocDataset voc = VocDataset.open(root);
        assertNames(assertThrows(DatasetException.class, () -> voc.annotated("train")), png, "palette");
    }

    @Test
    void malformedXmlAndUnknownClass() throws IOException {
        Path root = copyOfFixture();
        Path xml = root.resolve("Annotations/2007_000001.xml");
        String good = Files.readString(xml);
        Files.writeString(xml, good.replace("</annotation>", ""));
        VocDataset voc = VocDataset.open(root);
        assertNames(assertThrows(DatasetException.class, () -> voc.image("2007_000001")), xml, "malformed");
        Files.writeString(xml, good.replace("<name>dog</name>", "<name>wolf</name>"));
        assertNames(assertThrows(DatasetException.class, () -> voc.image("2007_000001")), xml, "unknown class 'wolf'");
    }
}
