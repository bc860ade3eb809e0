package io.wiseseg.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * A VOC {@code Annotations/*.xml} file: the image size and the class name of each object. Only
 * the names become training labels; boxes in the XML are not read, so they cannot leak into
 * weakly supervised training.
 */
public record VocXml(int width, int height, List<String> objectNames) {
    public VocXml {
        objectNames = List.copyOf(objectNames);
    }

    public static VocXml read(Path file) {
        Document doc;
        try (var in = Files.newInputStream(file)) {
            doc = builder().parse(in);
        } catch (NoSuchFileException e) {
            throw new DatasetException(file, "file not found");
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read (" + e.getMessage() + ")", e);
        } catch (SAXException e) {
            throw new DatasetException(file, "malformed annotation XML (" + e.getMessage() + ")", e);
        }
        Element root = doc.getDocumentElement();
        int width = 0, height = 0;
        Element size = child(root, "size");
        if (size != null) {
            width = number(file, child(size, "width"));
            height = number(file, child(size, "height"));
        }
        List<String> names = new ArrayList<>();
        NodeList kids = root.getChildNodes();
        for (int i = 0; i < kids.getLength(); i++) {
            if (kids.item(i) instanceof Element e && e.getTagName().equals("object")) {
                Element name = child(e, "name");
                if (name == null || name.getTextContent().isBlank()) {
                    throw new DatasetException(file, "an <object> has no <name>");
                }
                names.add(name.getTextContent().trim());
            }
        }
        return new VocXml(width, height, names);
    }

    /** The XML for an image of this size with these objects, in VOC's element layout. */
    public static String format(String filename, int width, int height, List<String> names, List<Box> boxes) {
        StringBuilder s = new StringBuilder();
        s.append("<annotation>\n\t<folder>wiseseg</folder>\n\t<filename>").append(filename)
                .append("</filename>\n\t<size>\n\t\t<width>").append(width).append("</width>\n\t\t<height>")
                .append(height).append("</height>\n\t\t<depth>3</depth>\n\t</size>\n\t<segmented>1</segmented>\n");
        for (int i = 0; i < names.size(); i++) {
            Box b = boxes.get(i);
            // VOC boxes are 1-based and inclusive.
            s.append("\t<object>\n\t\t<name>").append(names.get(i)).append("</name>\n\t\t<difficult>0</difficult>\n")
                    .append("\t\t<bndbox>\n\t\t\t<xmin>").append((int) b.x1() + 1).append("</xmin>\n\t\t\t<ymin>")
                    .append((int) b.y1() + 1).append("</ymin>\n\t\t\t<xmax>").append((int) b.x2())
                    .append("</xmax>\n\t\t\t<ymax>").append((int) b.y2()).append("</ymax>\n\t\t</bndbox>\n\t</object>\n");
        }
        return s.append("</annotation>\n").toString();
    }

    static byte[] formatBytes(String filename, int width, int height, List<String> names, List<Box> boxes) {
        return format(filename, width, height, names, boxes).getBytes(StandardCharsets.UTF_8);
    }

    private static Element child(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return e;
            }
        }
        return null;
    }

    private static int number(Path file, Element e) {
        try {
            return e == null ? 0 : (int) Math.round(Double.parseDouble(e.getTextContent().trim()));
        } catch (NumberFormatException ex) {
            throw new DatasetException(file, "<" + e.getTagName() + "> is not a number: '" + e.getTextContent().trim() + "'");
        }
    }

    private static DocumentBuilder builder() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            // Annotation files are data: no external entities, no DTD fetching.
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            // The default handler prints "[Fatal Error]" to stderr before throwing: stay silent.
            b.setErrorHandler(new org.xml.sax.helpers.DefaultHandler() {
                @Override
                public void error(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return b;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }
}
