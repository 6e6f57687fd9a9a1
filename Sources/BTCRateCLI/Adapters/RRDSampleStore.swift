import BTCRateCore
import BTCRateGraph
import FoundationEssentials
import Glibc
import LibRRD

/// The production `SampleStore`: one RRD file per pair, written directly in the
/// state directory, through an rrdcached on this host, or (over TCP) on a
/// storage host's rrdcached, where the file is reached only through the daemon.
struct RRDSampleStore: SampleStore {
    let configuration: Configuration
    /// Through rrdcached: each pair's newest stored rate as the run record has it
    /// (slot, rate). See `lastSample`.
    let recorded: [CurrencyPair: (slot: String, rate: Double)]

    init(configuration: Configuration) {
        self.configuration = configuration
        var recorded: [CurrencyPair: (slot: String, rate: Double)] = [:]
        if configuration.pairs.contains(where: { configuration.storage(for: $0).address != nil }),
           let record = RunRecordStore(stateDirectory: configuration.stateDirectory).load() {
            for entry in record.pairs {
                if let rate = entry.rate { recorded[entry.pair] = (entry.slot, rate) }
            }
        }
        self.recorded = recorded
    }

    func lastSample(of pair: CurrencyPair) throws(StorageFailure) -> StoredSample? {
        let file = configuration.rrdFile(for: pair)
        let cache = configuration.rrdcachedClient(for: pair)
        do {
            if configuration.storage(for: pair).isRemote, let cache {
                return try remoteLastSample(pair, file: file, daemon: cache)
            }
            guard file.exists else { return nil }
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

    /// Over TCP: the daemon's LAST (no file: nil) and, unless the run record wrote
    /// that slot, the rate from a FETCH of the last hour (which flushes the file).
    private func remoteLastSample(_ pair: CurrencyPair, file: RRDFile, daemon: RRDCachedClient) throws -> StoredSample? {
        let last: Int
        do {
            last = try daemon.last(file: file)
        } catch let error as RRDError where error.isNoSuchFile {
            return nil
        }
        let slot = Slot(containing: last)
        if let known = recorded[pair], known.slot == "\(slot)" { return StoredSample(slot: slot, rate: known.rate) }
        let rows = try daemon.fetch(file: file, consolidation: "AVERAGE", start: last - 3600, end: last).column("rate")
        let rate = rows.last { $0.time <= last }?.value
        return StoredSample(slot: slot, rate: rate.flatMap { $0.isFinite ? $0 : nil })
    }

    func create(_ pair: CurrencyPair, firstSlot: Slot) throws(StorageFailure) {
        let file = configuration.rrdFile(for: pair)
        let cache = configuration.rrdcachedClient(for: pair)
        do {
            if configuration.storage(for: pair).isRemote, let cache {
                do {
                    try cache.create(file: file, step: RRDLayout.step, start: firstSlot.start - RRDLayout.step,
                                     definitions: RRDLayout.definitions)
                } catch let error as RRDError where error.isAlreadyThere {
                    // Another collector (the other host) created it first: write to it.
                }
                return
            }
            try file.create(step: RRDLayout.step, start: firstSlot.start - RRDLayout.step,
                            definitions: RRDLayout.definitions)
            // A daemon that knew an earlier file of this name would refuse our updates.
            try cache?.forget(file: file)
        } catch {
            throw failure(error)
        }
    }

    func append(_ rows: [String], to pair: CurrencyPair) throws(StorageFailure) {
        let file = configuration.rrdFile(for: pair)
        do {
            if let cache = configuration.rrdcachedClient(for: pair) {
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
