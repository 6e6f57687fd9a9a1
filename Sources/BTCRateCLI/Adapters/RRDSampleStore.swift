import BTCRateCore
import BTCRateGraph
import Foundation
import LibRRD

/// The production `SampleStore`: one RRD file per pair in the state directory,
/// written directly or, when configured, through rrdcached.
struct RRDSampleStore: SampleStore {
    let configuration: Configuration
    let cache: RRDCachedClient?
    /// Through rrdcached: each pair's newest stored rate as the run record has it
    /// (slot, rate). See `lastSample`.
    let recorded: [CurrencyPair: (slot: String, rate: Double)]

    init(configuration: Configuration) {
        self.configuration = configuration
        cache = configuration.rrdcachedClient
        var recorded: [CurrencyPair: (slot: String, rate: Double)] = [:]
        if cache != nil, let record = RunRecordStore(stateDirectory: configuration.stateDirectory).load() {
            for entry in record.pairs {
                if let rate = entry.rate { recorded[entry.pair] = (entry.slot, rate) }
            }
        }
        self.recorded = recorded
    }

    private func file(_ pair: CurrencyPair) -> RRDFile {
        RRDFile(path: configuration.rrdPath(for: pair))
    }

    func lastSample(of pair: CurrencyPair) throws(StorageFailure) -> StoredSample? {
        let file = file(pair)
        guard file.exists else { return nil }
        do {
            // Through rrdcached, the newest slot comes from the daemon (LAST, its queue
            // included) and, when the run record wrote that very slot, the rate from
            // the record: no flush, so the daemon holds updates as long as it is set to
            // (-w) and batches them. Otherwise (a failed last run, a rewind, another
            // writer) the daemon writes the file out and librrd reads it.
            if let cache {
                let slot = Slot(containing: try cache.last(file: file))
                if let known = recorded[pair], known.slot == "\(slot)" { return StoredSample(slot: slot, rate: known.rate) }
                try cache.flush(file: file)
            }
            let last = try file.lastUpdate()
            return StoredSample(slot: Slot(containing: last.time), rate: last.values["rate"])
        } catch {
            throw failure(error)
        }
    }

    func create(_ pair: CurrencyPair, firstSlot: Slot) throws(StorageFailure) {
        let file = file(pair)
        do {
            try file.create(step: RRDLayout.step, start: firstSlot.start - RRDLayout.step,
                            definitions: RRDLayout.definitions)
            // A daemon that knew an earlier file of this name would refuse our updates.
            try cache?.forget(file: file)
        } catch {
            throw failure(error)
        }
    }

    func append(_ rows: [String], to pair: CurrencyPair) throws(StorageFailure) {
        let file = file(pair)
        do {
            if let cache {
                try cache.update(file: file, rows: rows)
            } else {
                try file.update(rows)
            }
        } catch {
            throw failure(error)
        }
    }

    private func failure(_ error: any Error) -> StorageFailure {
        guard let error = error as? RRDError else { return StorageFailure("\(error)") }
        // "No space left on device" names neither the disk nor whether it is the inodes.
        let diagnosis = error.isOutOfSpace ? DiskDiagnosis.explain(ENOSPC, directory: configuration.stateDirectory) : nil
        return StorageFailure(error.description + (diagnosis.map { ": \($0)" } ?? ""),
                              isNotNewer: error.isNotNewerThanLastUpdate, isTimeout: error.timedOut)
    }
}
