using AlertPipeline.Core.Respond;
using AlertPipeline.Shipper.Send;
using AlertPipeline.Shipper.Sources;
using AlertPipeline.Shipper.Spool;

namespace AlertPipeline.Shipper;

/// <summary>
/// The sandbox-host shipper: reads lines from its sources, stamps them (<see cref="RecordStamper"/>), and sends them
/// by sandbox id as partition key. While the hub cannot be reached, events go to the <see cref="DiskSpool"/> in order,
/// and everything new queues behind them there, so each sandbox's events reach the hub in the order they were read.
/// Once the hub answers again the spool drains oldest first. File positions are saved only after what was read is
/// sent or spooled, so a restart neither skips nor (beyond the last pump) repeats.
/// </summary>
/// <remarks>
/// Driven by <see cref="PumpAsync"/>, one step at a time, with time from a <see cref="TimeProvider"/>: the command
/// calls it in a loop, and tests call it with a fake clock. Delivery is at least once: a crash between a send and
/// the position save, or a partially sent spool segment, can send an event twice.
/// </remarks>
public sealed class TelemetryShipper : IDisposable
{
    private readonly IReadOnlyList<ILineSource> _sources;
    private readonly PartitionedSender _sender;
    private readonly DiskSpool _spool;
    private readonly PositionStore? _positions;
    private readonly ShipperOptions _options;
    private readonly TimeProvider _clock;
    private readonly TextWriter _log;
    private readonly RecordStamper _stamper;
    private readonly List<OutgoingEvent> _pending = [];
    private readonly List<OutgoingEvent> _unsent = [];
    private readonly Dictionary<string, FilePosition> _saved = new(StringComparer.Ordinal);
    private bool[] _settled = new bool[64];
    private IReadOnlyList<OutgoingEvent>? _head;
    private bool[] _headSettled = [];
    private DateTimeOffset _retryAt = DateTimeOffset.MinValue;
    private DateTimeOffset _nextHeartbeat = DateTimeOffset.MinValue;
    private int _failuresInARow;
    private bool _down;
    private bool _spoolFull;

    /// <summary>Creates a shipper; <paramref name="positions"/> null keeps no positions (e.g. standard input only).</summary>
    public TelemetryShipper(IReadOnlyList<ILineSource> sources, IEventSender sender, DiskSpool spool, PositionStore? positions,
        ShipperOptions options, TimeProvider clock, TextWriter log)
    {
        _sources = sources;
        _sender = new PartitionedSender(sender) { OnOversized = ReportOversized };
        _spool = spool;
        _positions = positions;
        _options = options;
        _clock = clock;
        _log = log;
        _stamper = new RecordStamper(options.SandboxId);
    }

    /// <summary>Counts since start.</summary>
    public ShipperCounters Counters { get; } = new();

    /// <summary>What was sent, per partition key.</summary>
    public SendTotals Totals => _sender.Totals;

    /// <summary>The stamper's counts (unknown formats, stamped events, sandbox id mismatches).</summary>
    public RecordStamper Stamper => _stamper;

    /// <summary>True while the hub is considered unreachable.</summary>
    public bool HubDown => _down;

    /// <summary>Bytes waiting in the spool.</summary>
    public long SpoolBytes => _spool.Bytes;

    /// <summary>True when nothing waits to be sent: the spool is empty.</summary>
    public bool Idle => _spool.IsEmpty && _pending.Count == 0;

    /// <summary>
    /// One step: queues a heartbeat when due, reads what the sources have (up to <see cref="ShipperOptions.MaxLinesPerPump"/>),
    /// sends or spools it, drains the spool when the hub may be back, and saves file positions. Returns the lines read.
    /// </summary>
    public async Task<int> PumpAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        if (_options.HeartbeatInterval is { } interval && now >= _nextHeartbeat)
        {
            _nextHeartbeat = now + interval;
            Counters.Heartbeats++;
            _pending.Add(new OutgoingEvent(ShipperHeartbeat.PartitionKey(_options),
                ShipperHeartbeat.Build(now, _options, Counters, _spool.Bytes), "heartbeat", Counters.Heartbeats));
        }

        var read = 0;
        var progress = true;
        while (progress && read < _options.MaxLinesPerPump)
        {
            progress = false;
            foreach (var source in _sources)
            {
                while (_pending.Count < _options.MaxPending && source.TryReadLine(out var line, out var offset))
                {
                    progress = true;
                    if (_stamper.TryStamp(line, source.Name, offset, out var outgoing))
                    {
                        read++;
                        Counters.Lines++;
                        _pending.Add(outgoing);
                    }
                }
            }

            if (_pending.Count > 0)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (_pending.Count > 0 || !_spool.IsEmpty)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        SavePositions();
        return read;
    }

    /// <summary>Writes the run's totals, one fact per line.</summary>
    public void WriteSummary(TextWriter writer)
    {
        writer.WriteLine($"lines read: {Counters.Lines} (unknown format: {_stamper.UnknownFormat}, stamped: {_stamper.Stamped}, sandbox id mismatches: {_stamper.SandboxMismatches})");
        writer.WriteLine($"sent: {Totals.Sent} events, {Totals.Batches} batches, {Totals.Bytes} bytes (heartbeats: {Counters.Heartbeats})");
        writer.WriteLine($"spooled: {Counters.Spooled}, drained: {Counters.Drained}, waiting in spool: {_spool.Bytes} bytes, send failures: {Counters.SendFailures}");
        writer.WriteLine($"dropped (spool full): {Counters.Dropped}");
        writer.WriteLine($"oversized (skipped): {Counters.Oversized}");
        foreach (var source in _sources.OfType<FileSource>())
        {
            writer.WriteLine($"file {source.Name}: offset {source.Position.Offset}, rotations {source.Rotations}, truncations {source.Truncations}");
        }

        foreach (var (key, totals) in Totals.PerKey.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            writer.WriteLine($"partition key {SafeText.Clean(key, 128)}: {totals.Sent} events, {totals.Batches} batches, {totals.Bytes} bytes");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _spool.Dispose();
        foreach (var source in _sources)
        {
            source.Dispose();
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!_spool.IsEmpty || _clock.GetUtcNow() < _retryAt)
        {
            // Something older is waiting (or the hub was just found down): queue behind it to keep the order.
            Spool(_pending);
            _pending.Clear();
            await DrainAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_settled.Length < _pending.Count)
        {
            _settled = new bool[Math.Max(_pending.Count, _settled.Length * 2)];
        }

        Array.Clear(_settled);
        var sentBefore = Totals.Sent;
        var failure = await _sender.SendAsync(_pending, _settled, cancellationToken).ConfigureAwait(false);
        Counters.Sent += Totals.Sent - sentBefore;
        if (failure is null)
        {
            MarkUp();
        }
        else
        {
            MarkDown(failure);
            _unsent.Clear();
            for (var i = 0; i < _pending.Count; i++)
            {
                if (!_settled[i])
                {
                    _unsent.Add(_pending[i]);
                }
            }

            Spool(_unsent);
        }

        _pending.Clear();
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (!_spool.IsEmpty && _clock.GetUtcNow() >= _retryAt)
        {
            if (_head is null)
            {
                _head = _spool.ReadHead();
                _headSettled = new bool[_head.Count];
            }

            var sentBefore = Totals.Sent;
            var failure = await _sender.SendAsync(_head, _headSettled, cancellationToken).ConfigureAwait(false);
            var sent = Totals.Sent - sentBefore;
            Counters.Sent += sent;
            Counters.Drained += sent;
            if (failure is not null)
            {
                MarkDown(failure);
                return;
            }

            MarkUp();
            _spool.RemoveHead();
            _head = null;
        }
    }

    private void Spool(List<OutgoingEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        var spooled = _spool.Append(events);
        Counters.Spooled += spooled;
        var dropped = events.Count - spooled;
        if (dropped == 0)
        {
            if (_spoolFull)
            {
                _spoolFull = false;
                _log.WriteLine($"alertpipe ship: spool has room again; {Counters.Dropped} events were dropped while it was full");
            }

            return;
        }

        Counters.Dropped += dropped;
        if (!_spoolFull)
        {
            _spoolFull = true;
            _log.WriteLine($"alertpipe ship: SPOOL FULL ({_spool.Bytes} of {_spool.MaxBytes} bytes): DROPPING EVENTS until the hub drains it; first dropped: {events[spooled]}");
        }
    }

    private void MarkDown(Exception failure)
    {
        Counters.SendFailures++;
        _failuresInARow++;
        var delay = TimeSpan.FromTicks(Math.Min(
            _options.MinRetryDelay.Ticks * (1L << Math.Min(_failuresInARow - 1, 20)),
            _options.MaxRetryDelay.Ticks));
        _retryAt = _clock.GetUtcNow() + delay;
        if (!_down)
        {
            _down = true;
            _log.WriteLine($"alertpipe ship: hub unreachable ({SafeText.Clean(failure.Message, 200)}); spooling until it answers");
        }
    }

    private void MarkUp()
    {
        _failuresInARow = 0;
        if (_down)
        {
            _down = false;
            _log.WriteLine("alertpipe ship: hub reachable again; draining the spool in order");
        }
    }

    private void ReportOversized(OutgoingEvent outgoing)
    {
        Counters.Oversized++;
        _log.WriteLine($"alertpipe ship: skipped an event of {outgoing.Body.Length} bytes from {SafeText.Clean(outgoing.ToString(), 300)}: larger than the hub's batch size limit");
    }

    private void SavePositions()
    {
        if (_positions is null)
        {
            return;
        }

        var changed = false;
        foreach (var source in _sources)
        {
            if (source is FileSource file && (!_saved.TryGetValue(file.Name, out var saved) || saved != file.Position))
            {
                _saved[file.Name] = file.Position;
                changed = true;
            }
        }

        if (changed)
        {
            _positions.Save(_saved);
        }
    }
}
