/**
 * What the DuckDB engine installs on every connection it opens, before any query:
 * SQL macros that the DuckDB dialect of the ADQL compiler relies on (spherical
 * geometry on DALI arrays, HEALPix, ivo_* UDFs, ROUND/TRUNCATE).
 * Owned by the ADQL dialect; run by src/engine/duckdb.ts.
 *
 * Geometry values are DOUBLE[] in degrees: point [ra, dec], circle [ra, dec, r],
 * polygon [ra1, dec1, ra2, dec2, ...]. Vectors are 3-element DOUBLE[] unit vectors.
 * Tolerances follow pg_sphere (1e-9 rad) so that both engines agree on boundaries.
 * `list_transform([x], v -> ...)[1]` binds a value once, as `let` would.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

const macros: Readonly<Record<string, string>> = {
  // ---- numbers
  hearc_round: '(x, n) AS sign(x) * floor(abs(x) * power(10.0, n) + 0.5) / power(10.0, n)',
  hearc_truncate: '(x, n) AS trunc(x * power(10.0, n)) / power(10.0, n)',
  hearc_ra: '(x) AS CAST(x AS DOUBLE) - 360.0 * floor(CAST(x AS DOUBLE) / 360.0)',
  // least() would skip NULLs; this keeps them.
  hearc_at_most_1: '(x) AS CASE WHEN x > 1.0 THEN 1.0 ELSE x END',

  // ---- DALI values from constructor arguments: NULL when any argument is NULL
  hearc_point:
    '(lon, lat) AS CASE WHEN lon IS NOT NULL AND lat IS NOT NULL THEN [hearc_ra(lon), lat] END',
  hearc_circle:
    '(lon, lat, r) AS CASE WHEN lon IS NOT NULL AND lat IS NOT NULL AND r IS NOT NULL THEN [hearc_ra(lon), lat, r] END',
  hearc_polygon:
    '(l) AS CASE WHEN list_count(l) = len(l) THEN list_transform(range(len(l)), i_polygon -> CASE WHEN i_polygon % 2 = 0 THEN hearc_ra(l[i_polygon + 1]) ELSE l[i_polygon + 1] END) END',
  hearc_polygon_of_points: '(ps) AS CASE WHEN list_count(ps) = len(ps) THEN flatten(ps) END',

  // ---- space MOCs (ASCII MOC 2.0 text) as lists of [lo, hi) cell ranges at order 24
  hearc_moc_cell:
    "(o, lo, hi) AS CASE WHEN o <= 24 THEN {'lo': lo * CAST(4 ** (24 - o) AS BIGINT), 'hi': (hi + 1) * CAST(4 ** (24 - o) AS BIGINT)} ELSE {'lo': lo // CAST(4 ** (o - 24) AS BIGINT), 'hi': hi // CAST(4 ** (o - 24) AS BIGINT) + 1} END",
  hearc_moc_ranges:
    "(m) AS flatten(list_transform(list_filter(string_split(regexp_replace(trim(m), '([0-9]+)/', '|\\1/', 'g'), '|'), g_moc -> trim(g_moc) <> ''), g_moc -> list_transform(list_filter(regexp_split_to_array(trim(split_part(g_moc, '/', 2)), '\\s+'), c_moc -> c_moc <> ''), c_moc -> hearc_moc_cell(CAST(split_part(g_moc, '/', 1) AS INTEGER), CAST(split_part(c_moc, '-', 1) AS BIGINT), CAST(coalesce(nullif(split_part(c_moc, '-', 2), ''), split_part(c_moc, '-', 1)) AS BIGINT)))))",
  // How many order-24 cells two MOCs share (the ranges of each are disjoint, as in any MOC).
  hearc_moc_overlap:
    '(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE coalesce(list_sum(list_transform(a, x_moc -> coalesce(list_sum(list_transform(b, y_moc -> greatest(0, least(x_moc.hi, y_moc.hi) - greatest(x_moc.lo, y_moc.lo)))), 0))), 0) END',
  hearc_moc_size: '(a) AS coalesce(list_sum(list_transform(a, z_moc -> z_moc.hi - z_moc.lo)), 0)',
  // Whether an order-24 cell lies in a MOC's ranges (NULL for a NULL MOC or cell).
  hearc_moc_has_cell:
    '(a, c) AS CASE WHEN a IS NULL OR c IS NULL THEN NULL ELSE coalesce(list_bool_or(list_transform(a, h_moc -> c >= h_moc.lo AND c < h_moc.hi)), false) END',

  // ---- vectors
  hearc_vec:
    '(lon, lat) AS [cos(radians(lat)) * cos(radians(lon)), cos(radians(lat)) * sin(radians(lon)), sin(radians(lat))]',
  hearc_dot: '(a, b) AS a[1] * b[1] + a[2] * b[2] + a[3] * b[3]',
  hearc_cross:
    '(a, b) AS [a[2] * b[3] - a[3] * b[2], a[3] * b[1] - a[1] * b[3], a[1] * b[2] - a[2] * b[1]]',
  hearc_norm: '(a) AS sqrt(hearc_dot(a, a))',
  hearc_angle: '(a, b) AS atan2(hearc_norm(hearc_cross(a, b)), hearc_dot(a, b))',
  // RA is 0 at the poles, where it has no meaning, so both engines agree.
  hearc_vec_ra:
    '(v) AS CASE WHEN v[1] * v[1] + v[2] * v[2] < 1e-24 THEN 0.0 ELSE hearc_ra(degrees(atan2(v[2], v[1]))) END',
  hearc_vec_dec: '(v) AS degrees(atan2(v[3], sqrt(v[1] * v[1] + v[2] * v[2])))',

  // ---- distances (haversine: accurate at small and large separations)
  hearc_dist_rad:
    '(lon1, lat1, lon2, lat2) AS 2 * asin(hearc_at_most_1(sqrt(power(sin(radians(lat2 - lat1) / 2), 2) + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2))))',
  hearc_dist: '(lon1, lat1, lon2, lat2) AS degrees(hearc_dist_rad(lon1, lat1, lon2, lat2))',
  // Haversines compared, not angles: no asin, sqrt or power per row (the same test, 2-3x faster).
  hearc_haversine:
    '(lon1, lat1, lon2, lat2) AS sin(radians(lat2 - lat1) / 2) * sin(radians(lat2 - lat1) / 2) + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) * sin(radians(lon2 - lon1) / 2)',
  hearc_haversine_of:
    '(r) AS CASE WHEN radians(r) + 1e-9 < 0 THEN -1.0 ELSE power(sin(least(radians(r) + 1e-9, pi()) / 2), 2) END',
  hearc_in_circle:
    '(lon, lat, cra, cdec, r) AS hearc_haversine(lon, lat, cra, cdec) <= hearc_haversine_of(r)',

  // ---- polygons: vertices as unit vectors, edges i_in_circle -> i_in_circle+1 (closing the ring)
  hearc_vertices:
    '(poly) AS list_transform(range(len(poly) // 2), i_vertices -> hearc_vec(poly[2 * i_vertices + 1], poly[2 * i_vertices + 2]))',
  hearc_next: '(vs, i) AS vs[(i + 1) % len(vs) + 1]',
  hearc_vsum:
    '(vs) AS [list_sum(list_transform(vs, v_vsum -> v_vsum[1])), list_sum(list_transform(vs, v_vsum -> v_vsum[2])), list_sum(list_transform(vs, v_vsum -> v_vsum[3]))]',
  // Sum of the angles under which the edges are seen from p: +-2 pi around p, 0 otherwise.
  hearc_winding:
    '(p, vs) AS list_sum(list_transform(range(len(vs)), i_winding -> atan2(hearc_dot(p, hearc_cross(vs[i_winding + 1], hearc_next(vs, i_winding))), hearc_dot(vs[i_winding + 1], hearc_next(vs, i_winding)) - hearc_dot(vs[i_winding + 1], p) * hearc_dot(hearc_next(vs, i_winding), p))))',
  // Inside: enclosed by the ring, on the side of its vertices (the smaller region, as pg_sphere).
  hearc_vin_polygon:
    '(p, vs) AS abs(hearc_winding(p, vs)) > pi() AND hearc_dot(p, hearc_vsum(vs)) > 0',
  hearc_in_polygon:
    '(lon, lat, poly) AS hearc_vin_polygon(hearc_vec(lon, lat), hearc_vertices(poly))',
  // Angular distance (rad) from p to the arc a-b.
  hearc_edge_dist:
    '(p, a, b) AS list_transform([hearc_cross(a, b)], n_edge_dist -> CASE WHEN hearc_norm(n_edge_dist) > 0 AND hearc_dot(hearc_cross(a, p), n_edge_dist) >= 0 AND hearc_dot(hearc_cross(p, b), n_edge_dist) >= 0 THEN asin(hearc_at_most_1(abs(hearc_dot(p, n_edge_dist)) / hearc_norm(n_edge_dist))) ELSE least(hearc_angle(p, a), hearc_angle(p, b)) END)[1]',
  hearc_min_edge_dist:
    '(p, vs) AS list_min(list_transform(range(len(vs)), i_min_edge_dist -> hearc_edge_dist(p, vs[i_min_edge_dist + 1], hearc_next(vs, i_min_edge_dist))))',
  hearc_det: '(a, b, c) AS sign(hearc_dot(hearc_cross(a, b), c))',
  // Arcs a-b and c-d cross at a point inside both (the orientation test of S2's CrossingSign).
  hearc_crosses:
    '(a, b, c, d) AS list_transform([-hearc_det(a, b, c)], acb_crosses -> acb_crosses <> 0 AND acb_crosses = hearc_det(a, b, d) AND acb_crosses = -hearc_det(c, d, b) AND acb_crosses = hearc_det(c, d, a))[1]',
  hearc_rings_cross:
    '(va, vb) AS list_bool_or(list_transform(range(len(va)), i_rings_cross -> list_bool_or(list_transform(range(len(vb)), j_rings_cross -> hearc_crosses(va[i_rings_cross + 1], hearc_next(va, i_rings_cross), vb[j_rings_cross + 1], hearc_next(vb, j_rings_cross))))))',
  hearc_all_in:
    '(va, vb) AS list_bool_and(list_transform(va, v_all_in -> hearc_vin_polygon(v_all_in, vb)))',
  hearc_any_in:
    '(va, vb) AS list_bool_or(list_transform(va, v_any_in -> hearc_vin_polygon(v_any_in, vb)))',

  // ---- region predicates on DALI arrays
  hearc_circle_in_circle:
    '(a, b) AS hearc_dist_rad(a[1], a[2], b[1], b[2]) + radians(a[3]) - radians(b[3]) <= 1e-9',
  hearc_circles_meet:
    '(a, b) AS hearc_dist_rad(a[1], a[2], b[1], b[2]) - radians(a[3]) - radians(b[3]) <= 1e-9',
  hearc_polygon_in_circle:
    '(poly, c) AS list_transform([hearc_vec(c[1], c[2])], cv_polygon_in_circle -> list_bool_and(list_transform(hearc_vertices(poly), v_polygon_in_circle -> hearc_angle(v_polygon_in_circle, cv_polygon_in_circle) - radians(c[3]) <= 1e-9)))[1]',
  hearc_circle_in_polygon:
    '(c, poly) AS list_transform([hearc_vec(c[1], c[2])], cv_circle_in_polygon -> list_transform([hearc_vertices(poly)], vs_circle_in_polygon -> hearc_vin_polygon(cv_circle_in_polygon, vs_circle_in_polygon) AND hearc_min_edge_dist(cv_circle_in_polygon, vs_circle_in_polygon) - radians(c[3]) >= -1e-9)[1])[1]',
  hearc_circle_meets_polygon:
    '(c, poly) AS list_transform([hearc_vec(c[1], c[2])], cv_circle_meets_polygon -> list_transform([hearc_vertices(poly)], vs_circle_meets_polygon -> hearc_vin_polygon(cv_circle_meets_polygon, vs_circle_meets_polygon) OR hearc_min_edge_dist(cv_circle_meets_polygon, vs_circle_meets_polygon) - radians(c[3]) <= 1e-9)[1])[1]',
  hearc_polygon_in_polygon:
    '(a, b) AS list_transform([[hearc_vertices(a), hearc_vertices(b)]], v_polygon_in_polygon -> hearc_all_in(v_polygon_in_polygon[1], v_polygon_in_polygon[2]) AND NOT hearc_rings_cross(v_polygon_in_polygon[1], v_polygon_in_polygon[2]))[1]',
  hearc_polygons_meet:
    '(a, b) AS list_transform([[hearc_vertices(a), hearc_vertices(b)]], v_polygons_meet -> hearc_any_in(v_polygons_meet[1], v_polygons_meet[2]) OR hearc_any_in(v_polygons_meet[2], v_polygons_meet[1]) OR hearc_rings_cross(v_polygons_meet[1], v_polygons_meet[2]))[1]',

  // ---- AREA (square degrees) and CENTROID
  hearc_circle_area: '(c) AS 2 * pi() * (1 - cos(radians(c[3]))) * power(180 / pi(), 2)',
  // Fan of signed triangles from the normalised vertex mean (Van Oosterom & Strackee).
  hearc_polygon_area:
    '(poly) AS list_transform([hearc_vertices(poly)], vs_polygon_area -> list_transform([list_transform(hearc_vsum(vs_polygon_area), x_polygon_area -> x_polygon_area / hearc_norm(hearc_vsum(vs_polygon_area)))], c_polygon_area -> list_transform([abs(list_sum(list_transform(range(len(vs_polygon_area)), i_polygon_area -> 2 * atan2(hearc_dot(c_polygon_area, hearc_cross(vs_polygon_area[i_polygon_area + 1], hearc_next(vs_polygon_area, i_polygon_area))), 1 + hearc_dot(c_polygon_area, vs_polygon_area[i_polygon_area + 1]) + hearc_dot(vs_polygon_area[i_polygon_area + 1], hearc_next(vs_polygon_area, i_polygon_area)) + hearc_dot(hearc_next(vs_polygon_area, i_polygon_area), c_polygon_area)))))], s_polygon_area -> least(s_polygon_area, 4 * pi() - s_polygon_area))[1])[1])[1] * power(180 / pi(), 2)',
  hearc_polygon_centroid:
    '(poly) AS CASE WHEN poly IS NOT NULL THEN list_transform([hearc_vsum(hearc_vertices(poly))], v_polygon_centroid -> [hearc_vec_ra(v_polygon_centroid), hearc_vec_dec(v_polygon_centroid)])[1] END',

  // ---- BOX: corners at (+-tan(w/2), +-tan(h/2)) on the tangent plane at the centre
  hearc_tangent_point:
    '(lon0, lat0, x, y) AS [hearc_ra(lon0 + degrees(atan2(x, cos(radians(lat0)) - y * sin(radians(lat0))))), degrees(atan2(sin(radians(lat0)) + y * cos(radians(lat0)), sqrt(x * x + power(cos(radians(lat0)) - y * sin(radians(lat0)), 2))))]',
  hearc_box:
    '(lon, lat, w, h) AS CASE WHEN lon IS NOT NULL AND lat IS NOT NULL AND w IS NOT NULL AND h IS NOT NULL THEN flatten(list_transform([[1, 1], [-1, 1], [-1, -1], [1, -1]], s_box -> hearc_tangent_point(lon, lat, s_box[1] * tan(radians(w) / 2), s_box[2] * tan(radians(h) / 2)))) END',

  // ---- HEALPix, nested scheme (Gorski et al. 2005), orders 0..29
  hearc_spread_step: '(v, s, m) AS (v | (v << s)) & m',
  hearc_spread_bits:
    '(x) AS list_transform([CAST(x AS BIGINT)], v_spread_bits -> hearc_spread_step(hearc_spread_step(hearc_spread_step(hearc_spread_step(hearc_spread_step(v_spread_bits, 16, 281470681808895), 8, 71777214294589695), 4, 1085102592571150095), 2, 3689348814741910323), 1, 6148914691236517205))[1]',
  hearc_compact_step: '(v, s, m) AS (v | (v >> s)) & m',
  hearc_compact_bits:
    '(x) AS list_transform([CAST(x AS BIGINT) & 6148914691236517205], v_compact_bits -> hearc_compact_step(hearc_compact_step(hearc_compact_step(hearc_compact_step(hearc_compact_step(v_compact_bits, 1, 3689348814741910323), 2, 1085102592571150095), 4, 71777214294589695), 8, 281470681808895), 16, 4294967295))[1]',
  hearc_hpx_nest:
    '(o, face, ix, iy) AS (CAST(face AS BIGINT) << (2 * o)) + hearc_spread_bits(ix) + (hearc_spread_bits(iy) << 1)',
  hearc_hpx_equatorial:
    '(o, ns, tt, z) AS list_transform([[CAST(floor(ns * (0.5 + tt) - ns * (z * 0.75)) AS BIGINT), CAST(floor(ns * (0.5 + tt) + ns * (z * 0.75)) AS BIGINT)]], j_hpx_equatorial -> hearc_hpx_nest(o, CASE WHEN (j_hpx_equatorial[1] >> o) = (j_hpx_equatorial[2] >> o) THEN ((j_hpx_equatorial[1] >> o) | 4) WHEN (j_hpx_equatorial[1] >> o) < (j_hpx_equatorial[2] >> o) THEN (j_hpx_equatorial[1] >> o) ELSE (j_hpx_equatorial[2] >> o) + 8 END, j_hpx_equatorial[2] & (ns - 1), ns - (j_hpx_equatorial[1] & (ns - 1)) - 1))[1]',
  hearc_hpx_polar:
    '(o, ns, tt, z, cosdec) AS list_transform([CAST(least(3, floor(tt)) AS BIGINT)], ntt_hpx_polar -> list_transform([ns * cosdec * sqrt(3 / (1 + abs(z)))], t_hpx_polar -> list_transform([[least(ns - 1, CAST(floor((tt - ntt_hpx_polar) * t_hpx_polar) AS BIGINT)), least(ns - 1, CAST(floor((1 - (tt - ntt_hpx_polar)) * t_hpx_polar) AS BIGINT))]], j_hpx_polar -> CASE WHEN z >= 0 THEN hearc_hpx_nest(o, ntt_hpx_polar, ns - j_hpx_polar[2] - 1, ns - j_hpx_polar[1] - 1) ELSE hearc_hpx_nest(o, ntt_hpx_polar + 8, j_hpx_polar[1], j_hpx_polar[2]) END)[1])[1])[1]',
  hearc_healpix_index:
    '(o, lon, lat) AS CASE WHEN o BETWEEN 0 AND 29 AND lat BETWEEN -90 AND 90 AND lon IS NOT NULL THEN list_transform([[CASE WHEN hearc_ra(lon) >= 360 THEN 0.0 ELSE hearc_ra(lon) / 90.0 END, sin(radians(lat)), cos(radians(lat))]], v_healpix_index -> CASE WHEN abs(v_healpix_index[2]) <= 2.0 / 3.0 THEN hearc_hpx_equatorial(o, CAST(1 AS BIGINT) << o, v_healpix_index[1], v_healpix_index[2]) ELSE hearc_hpx_polar(o, CAST(1 AS BIGINT) << o, v_healpix_index[1], v_healpix_index[2], v_healpix_index[3]) END)[1] END',
  // [face, ix, iy, jr, nside] for a nested index
  hearc_hpx_xyf:
    '(o, ipix) AS list_transform([CAST(ipix AS BIGINT) >> (2 * o)], face_hpx_xyf -> list_transform([CAST(ipix AS BIGINT) & ((CAST(1 AS BIGINT) << (2 * o)) - 1)], ipf_hpx_xyf -> [face_hpx_xyf, hearc_compact_bits(ipf_hpx_xyf), hearc_compact_bits(ipf_hpx_xyf >> 1), (face_hpx_xyf // 4 + 2) * (CAST(1 AS BIGINT) << o) - hearc_compact_bits(ipf_hpx_xyf) - hearc_compact_bits(ipf_hpx_xyf >> 1) - 1, CAST(1 AS BIGINT) << o])[1])[1]',
  // [nr, kshift, 1 - |z| or NULL (equatorial), z] for ring jr
  hearc_hpx_ring:
    '(jr, ns) AS CASE WHEN jr < ns THEN [jr, 0, CAST(jr * jr AS DOUBLE) / (CAST(3 AS DOUBLE) * ns * ns), 1] WHEN jr > 3 * ns THEN [4 * ns - jr, 0, CAST((4 * ns - jr) * (4 * ns - jr) AS DOUBLE) / (CAST(3 AS DOUBLE) * ns * ns), -1] ELSE [ns, (jr - ns) & 1, NULL, CAST((2 * ns - jr) * 2 AS DOUBLE) / (CAST(3 AS DOUBLE) * ns)] END',
  hearc_hpx_center_of:
    '(x, r) AS list_transform([((CASE WHEN x[1] // 4 = 1 THEN 2 * (x[1] % 4) ELSE 2 * (x[1] % 4) + 1 END) * CAST(r[1] AS BIGINT) + x[2] - x[3] + 1 + CAST(r[2] AS BIGINT)) // 2], jp0_hpx_center_of -> list_transform([CASE WHEN jp0_hpx_center_of > 4 * x[5] THEN jp0_hpx_center_of - 4 * x[5] WHEN jp0_hpx_center_of < 1 THEN jp0_hpx_center_of + 4 * x[5] ELSE jp0_hpx_center_of END], jp_hpx_center_of -> [hearc_ra((jp_hpx_center_of - (r[2] + 1) * 0.5) * (90.0 / r[1])), CASE WHEN r[3] IS NULL THEN degrees(asin(r[4])) ELSE r[4] * degrees(atan2(1 - r[3], sqrt(r[3] * (2 - r[3])))) END])[1])[1]',
  hearc_healpix_center:
    '(o, ipix) AS CASE WHEN o BETWEEN 0 AND 29 AND ipix >= 0 AND ipix < 12 * (CAST(1 AS BIGINT) << (2 * o)) THEN list_transform([hearc_hpx_xyf(o, ipix)], x_healpix_center -> hearc_hpx_center_of(x_healpix_center, hearc_hpx_ring(x_healpix_center[4], x_healpix_center[5])))[1] END',

  // ---- ivo_* UDFs
  hearc_words: "(s) AS ' ' || trim(regexp_replace(lower(s), '[^a-z0-9]+', ' ', 'g')) || ' '",
  hearc_hasword:
    "(haystack, needle) AS CAST(strpos(hearc_words(haystack), ' ' || trim(hearc_words(needle)) || ' ') > 0 AND trim(hearc_words(needle)) <> '' AS INTEGER)",
  hearc_hashlist_has:
    "(hashlist, item) AS CASE WHEN strpos('#' || lower(hashlist) || '#', '#' || lower(item) || '#') > 0 THEN 1 ELSE 0 END",
};

export const duckdbPreludeSql: readonly string[] = Object.entries(macros).map(
  // TEMP: connection-local, so read-only catalogs can be opened too.
  ([name, body]) => `CREATE OR REPLACE TEMP MACRO ${name}${body}`,
);

export function registerDuckDbFunctions(_connection: DuckDBConnection): void {
  // Everything the DuckDB dialect needs is a SQL macro (see duckdbPreludeSql).
}
