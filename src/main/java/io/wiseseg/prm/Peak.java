package io.wiseseg.prm;

/** One peak of a class response map: class id, row and column in the map, and the map's value there. */
public record Peak(int classId, int y, int x, float value) {}
