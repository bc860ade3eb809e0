package io.wiseseg.spark;

import java.io.Serializable;

/**
 * One image of a job's input, as the driver listed it: its id and the Hadoop file system paths
 * (URIs) of its files.
 *
 * @param id         the image id (the file name without extension; a VOC split's id)
 * @param image      the JPEG or PNG file
 * @param annotation the VOC annotation XML (image-level labels and size), or null
 * @param classMask  the VOC SegmentationClass PNG (labels of an image without XML), or null
 */
public record ImageRef(String id, String image, String annotation, String classMask) implements Serializable {}
