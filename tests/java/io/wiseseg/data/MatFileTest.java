package io.wiseseg.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MatFileTest {
    private static final Path SBD = TestResources.path("voc-mini").resolve("SBD");

    @Test
    void readsAnUncompressedInstanceStruct() {
        Map<String, MatFile.Value> vars = MatFile.read(SBD.resolve("inst/2008_000003.mat"));
        MatFile.Struct s = assertInstanceOf(MatFile.Struct.class, vars.get("GTinst"));
        assertEquals(List.of("Segmentation", "Boundaries", "Categories"), s.fieldNames());
        MatFile.NumericArray seg = assertInstanceOf(MatFile.NumericArray.class, s.field("Segmentation"));
        assertEquals(30, seg.rows());
        assertEquals(40, seg.cols());
        assertEquals(0, seg.get(0, 0));
        assertEquals(1, seg.get(3, 2));
        assertEquals(2, seg.get(12, 19));
        assertEquals(3, seg.get(27, 37));
        MatFile.NumericArray cats = assertInstanceOf(MatFile.NumericArray.class, s.field("Categories"));
        assertEquals(List.of(3.0, 3.0, 7.0), java.util.Arrays.stream(cats.data()).boxed().toList());
        // Boundaries is a cell of sparse matrices: recognised and skipped.
        MatFile.Cell b = assertInstanceOf(MatFile.Cell.class, s.field("Boundaries"));
        assertEquals(3, b.cells().size());
        assertInstanceOf(MatFile.Skipped.class, b.cells().getFirst());
    }

    @Test
    void readsACompressedClassStruct() {
        SbdMat cls = SbdMat.read(SBD.resolve("cls/2008_000003.mat"), "GTcls");
        assertEquals(40, cls.width());
        assertEquals(30, cls.height());
        assertEquals(3, cls.segmentation()[3 * 40 + 2]);
        assertEquals(7, cls.segmentation()[27 * 40 + 37]);
        assertEquals(0, cls.segmentation()[0]);
    }

    @Test
    void corruptFilesFailNamingTheFile(@TempDir Path tmp) throws Exception {
        Path notMat = tmp.resolve("x.mat");
        Files.writeString(notMat, "hello");
        DatasetException e = assertThrows(DatasetException.class, () -> MatFile.read(notMat));
        assertTrue(e.getMessage().startsWith(notMat.toString()), e.getMessage());

        byte[] good = Files.readAllBytes(SBD.resolve("inst/2008_000003.mat"));
        Path truncated = tmp.resolve("t.mat");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length / 2));
        e = assertThrows(DatasetException.class, () -> MatFile.read(truncated));
        assertTrue(e.getMessage().startsWith(truncated.toString()), e.getMessage());

        byte[] compressed = Files.readAllBytes(SBD.resolve("cls/2008_000003.mat"));
        Path cut = tmp.resolve("c.mat");
        Files.write(cut, java.util.Arrays.copyOf(compressed, compressed.length - 20));
        e = assertThrows(DatasetException.class, () -> MatFile.read(cut));
        assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
    }
}
