/** Alert documents for tests: a VOEvent 2.0 of a neutrino alert with its error circle. */
export const VOEVENT = `<?xml version="1.0" encoding="UTF-8"?>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" version="2.0" role="test"
  ivorn="ivo://hearc.test/alerts#NU-240310A-1">
  <Who>
    <AuthorIVORN>ivo://hearc.test/neutrino-telescope</AuthorIVORN>
    <Date>2024-03-10T21:05:00</Date>
  </Who>
  <What>
    <Param name="event_name" value="NU-240310A"/>
    <Param name="Revision" value="1"/>
    <Param name="containment" value="0.9"/>
    <Param name="err50" value="0.35" unit="deg"/>
  </What>
  <WhereWhen>
    <ObsDataLocation>
      <ObservatoryLocation id="GEOLUN"/>
      <ObservationLocation>
        <AstroCoordSystem id="UTC-ICRS-TOPO"/>
        <AstroCoords coord_system_id="UTC-ICRS-TOPO">
          <Time unit="s"><TimeInstant><ISOTime>2024-03-10T21:04:32.25</ISOTime></TimeInstant></Time>
          <Position2D unit="deg">
            <Name1>RA</Name1><Name2>Dec</Name2>
            <Value2><C1>83.6331</C1><C2>22.0145</C2></Value2>
            <Error2Radius>0.75</Error2Radius>
          </Position2D>
        </AstroCoords>
      </ObservationLocation>
    </ObsDataLocation>
  </WhereWhen>
</voe:VOEvent>
`;
