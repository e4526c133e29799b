using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// Tetragon's JSON export (<c>tetra getevents -o json</c>, the export file): one object per event whose single
/// top-level key names the kind: <c>process_exec</c>, <c>process_exit</c>, <c>process_kprobe</c> (e.g.
/// <c>tcp_connect</c> with its <c>sock_arg</c>), with the process's pod and container identity, plus
/// <c>node_name</c> and <c>time</c>. Field mapping: <c>docs/formats/tetragon.md</c>.
/// </summary>
public sealed class TetragonFormat : MappedJsonFormat
{
    private const int ExecMark = 0;
    private const int ExitMark = 1;
    private const int KprobeMark = 2;
    private const byte SignalSlot = 0;

    private static readonly string[] Kinds = ["process_exec", "process_exit", "process_kprobe"];

    /// <summary>Creates the format.</summary>
    public TetragonFormat()
        : base("tetragon", Paths(), "process_exec", "process_exit", "process_kprobe", "node_name", "time")
    {
    }

    /// <inheritdoc />
    public override bool CanParse(ReadOnlySpan<byte> body)
    {
        var window = DetectionWindow(body);
        return StartsLikeJson(body) && HasKey(window, "\"node_name\""u8)
            && (HasKey(window, "\"process_exec\""u8) || HasKey(window, "\"process_exit\""u8) || HasKey(window, "\"process_kprobe\""u8));
    }

    private static IEnumerable<KeyValuePair<string, MapTarget>> Paths()
    {
        yield return Map("time", MapAction.Time);
        yield return Map("node_name", EcsField.HostName);
        for (var i = 0; i < Kinds.Length; i++)
        {
            var kind = Kinds[i];
            yield return Map(kind, MapAction.Mark, slot: (byte)i);
            yield return Map(kind + ".process.exec_id", EcsField.EventId);
            yield return Map(kind + ".process.pid", EcsField.ProcessPid);
            yield return Map(kind + ".process.uid", EcsField.UserId);
            yield return Map(kind + ".process.cwd", EcsField.ProcessWorkingDirectory);
            yield return Map(kind + ".process.binary", EcsField.ProcessExecutable);
            yield return Map(kind + ".process.arguments", EcsField.ProcessCommandLine);
            yield return Map(kind + ".process.pod.namespace", EcsField.OrchestratorNamespace);
            yield return Map(kind + ".process.pod.name", EcsField.OrchestratorResourceName);
            yield return Map(kind + ".process.pod.container.id", EcsField.ContainerId);
            yield return Map(kind + ".process.pod.container.name", EcsField.ContainerName);
            yield return Map(kind + ".process.pod.container.image.name", EcsField.ContainerImageName);
            yield return Map(kind + ".parent.pid", EcsField.ProcessParentPid);
            yield return Map(kind + ".parent.binary", EcsField.ProcessParentExecutable);
            yield return Map(kind + ".parent.arguments", EcsField.ProcessParentCommandLine);
        }

        yield return Map("process_exit.signal", MapAction.Capture, slot: SignalSlot);
        yield return Map("process_kprobe.function_name", EcsField.EventAction);
        yield return Map("process_kprobe.policy_name", EcsField.RuleName);
        yield return Map("process_kprobe.args.sock_arg.saddr", EcsField.SourceIp);
        yield return Map("process_kprobe.args.sock_arg.sport", EcsField.SourcePort);
        yield return Map("process_kprobe.args.sock_arg.daddr", EcsField.DestinationIp);
        yield return Map("process_kprobe.args.sock_arg.dport", EcsField.DestinationPort);
        yield return Map("process_kprobe.args.sock_arg.protocol", EcsField.NetworkTransport);
        yield return Map("process_kprobe.args.file_arg.path", EcsField.FilePath);
    }

    private protected override string? Complete(EventBatch batch, ref MappedRecord record)
    {
        if ((record.Marks & 0b111) == 0)
        {
            return "unknown-event-kind";
        }

        batch.Set(EcsField.EventKind, "event");
        batch.Set(EcsField.EventModule, "tetragon");
        batch.Set(EcsField.ObserverVendor, "Cilium");
        batch.Set(EcsField.ObserverProduct, "Tetragon");
        batch.Set(EcsField.ObserverType, "host");
        WriteCommandLine(batch, EcsField.ProcessExecutable, EcsField.ProcessCommandLine, EcsField.ProcessName);
        WriteCommandLine(batch, EcsField.ProcessParentExecutable, EcsField.ProcessParentCommandLine, EcsField.ProcessParentName);
        if (batch.HasOpen(EcsField.OrchestratorResourceName))
        {
            batch.Set(EcsField.OrchestratorType, "kubernetes");
        }

        if (record.IsMarked(ExecMark))
        {
            batch.Set(EcsField.EventDataset, "tetragon.process_exec");
            batch.Set(EcsField.EventCategory, "process");
            batch.Set(EcsField.EventType, "start");
            batch.Set(EcsField.EventAction, "exec");
        }
        else if (record.IsMarked(ExitMark))
        {
            batch.Set(EcsField.EventDataset, "tetragon.process_exit");
            batch.Set(EcsField.EventCategory, "process");
            batch.Set(EcsField.EventType, "end");
            batch.Set(EcsField.EventAction, "exit");
            var signal = record.Captured(SignalSlot);
            if (!signal.IsEmpty)
            {
                batch.Set(EcsField.EventReason, signal);
            }
        }
        else
        {
            batch.Set(EcsField.EventDataset, "tetragon.process_kprobe");
            var transport = batch.GetOpen(EcsField.NetworkTransport);
            if (transport.StartsWith("IPPROTO_", StringComparison.Ordinal))
            {
                JsonValues.SetLower(batch, EcsField.NetworkTransport, transport["IPPROTO_".Length..]);
            }

            if (batch.HasOpen(EcsField.DestinationIp))
            {
                batch.Set(EcsField.EventCategory, "network");
                batch.Set(EcsField.EventType, "connection");
            }
            else
            {
                batch.Set(EcsField.EventCategory, batch.HasOpen(EcsField.FilePath) ? "file" : "process");
                batch.Set(EcsField.EventType, "info");
            }
        }

        return null;
    }

    /// <summary>
    /// Tetragon reports the binary and its arguments apart; ECS wants the whole command line (binary first, as a
    /// shell shows it) and the executable's base name.
    /// </summary>
    private static void WriteCommandLine(EventBatch batch, EcsField executable, EcsField commandLine, EcsField name)
    {
        var binary = batch.GetOpen(executable);
        if (binary.IsEmpty)
        {
            return;
        }

        var arguments = batch.GetOpen(commandLine);
        var length = Math.Min(binary.Length + (arguments.IsEmpty ? 0 : 1 + arguments.Length), JsonValues.MaxValueChars);

        // Reserve may move the arena; the spans read above keep the old array alive until copied.
        var target = batch.Reserve(length);
        var written = binary[..Math.Min(binary.Length, length)].TryCopyTo(target) ? binary.Length : 0;
        if (!arguments.IsEmpty && written < length)
        {
            target[written++] = ' ';
            var rest = Math.Min(arguments.Length, length - written);
            arguments[..rest].CopyTo(target[written..]);
            written += rest;
        }

        batch.CommitReserved(commandLine, JsonValues.Cut(target, written, JsonValues.MaxValueChars));
        batch.Set(name, binary[(binary.LastIndexOf('/') + 1)..]);
    }

    private protected override string DetailOf(string reason)
        => reason == "unknown-event-kind" ? "The record is none of process_exec, process_exit, process_kprobe." : base.DetailOf(reason);
}
