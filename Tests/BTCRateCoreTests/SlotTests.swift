import BTCRateCore
import Testing

@Suite struct SlotTests {
    @Test(arguments: [(1_705_320_000, 1_705_320_000), (1_705_320_037, 1_705_320_000),
                      (1_705_320_599, 1_705_320_000), (1_705_320_600, 1_705_320_600)])
    func alignsToTheStartOfItsTenMinuteSlot(time: Int, start: Int) {
        #expect(Slot(containing: time).start == start)
    }

    @Test func negativeTimesFloorDownward() {
        #expect(Slot(containing: -1).start == -600)
    }

    @Test func slotsBetweenListsOnlyTheSkippedOnes() {
        let a = Slot(containing: 6000)
        #expect(a.slotsBetween(a.next).isEmpty)
        #expect(a.slotsBetween(a).isEmpty)
        #expect(a.slotsBetween(Slot(containing: 6000 + 4 * 600)).map(\.start) == [6600, 7200, 7800])
    }

    @Test func printsAsUTC() {
        #expect("\(Slot(containing: 1_705_320_037))" == "2024-01-15T12:00:00Z")
    }
}
