package io.wiseseg.proposals;

import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Precomputed proposals in the WISE reference's layouts (SharpMask output converted to COCO RLE):
 * <ul>
 *   <li>a folder of per-image files, {@code <id>.jpg.json} or else {@code <id>.json} (the
 *       reference's {@code SharpProposals} looks for these two names in that order), each a JSON
 *       list of {@code {segmentation, score}};</li>
 *   <li>one file mapping image ids to such lists (the reference's
 *       {@code datasets/proposal_dict.json}).</li>
 * </ul>
 * Proposals are returned best first (stable by score, as the reference sorts them). Masks must
 * have the image's size: the reference can resize them (nearest neighbour) but that hides a
 * mismatch between proposal and image sets, so here it is an error naming the file.
 * MCG/COB {@code .mat} files (superpixels plus cell arrays of merges) are not read; convert them
 * to this JSON format first (pycocotools' {@code encode} per mask).
 */
public final class ProposalFiles implements ProposalSource {
    private final Path location;
    private Map<String, List<ProposalJson.Entry>> dictionary;

    public ProposalFiles(Path location) throws IOException {
        if (!Files.exists(location)) {
            throw new IOException(location + ": no such proposal folder or file");
        }
        this.location = location;
    }

    @Override
    public List<Proposal> proposals(LabelledImage image, Supplier<RgbImage> pixels) throws IOException {
        Path file;
        List<ProposalJson.Entry> entries;
        if (Files.isDirectory(location)) {
            file = location.resolve(image.id() + ".jpg.json");
            if (!Files.exists(file)) {
                Path plain = location.resolve(image.id() + ".json");
                if (!Files.exists(plain)) {
                    throw new IOException(location + ": no proposals for image " + image.id() + " (looked for "
                            + file.getFileName() + " and " + plain.getFileName() + ")");
                }
                file = plain;
            }
            entries = ProposalJson.readList(file);
        } else {
            file = location;
            entries = dictionary().get(image.id());
            if (entries == null) {
                throw new IOException(location + ": no proposals for image " + image.id());
            }
        }
        List<Proposal> out = ProposalJson.decode(file, image.id(), entries, image.height(), image.width());
        return ProposalJson.bestFirst(out, Proposal::score);
    }

    private synchronized Map<String, List<ProposalJson.Entry>> dictionary() throws IOException {
        if (dictionary == null) {
            dictionary = ProposalJson.readDictionary(location);
        }
        return dictionary;
    }

    @Override
    public String description() {
        return "files " + location.toAbsolutePath().normalize();
    }
}
