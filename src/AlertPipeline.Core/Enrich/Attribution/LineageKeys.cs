using System.Globalization;
using System.Text;

namespace AlertPipeline.Core.Enrich.Attribution;

/// <summary>
/// The keys lineage is stored under, shared by every <see cref="ILineageStore"/> so their ranges agree. Within a
/// sandbox's partition keys start with their kind: <c>c|</c> connections by destination, then time, then source (one
/// range answers both a 5-tuple and a destination-and-time lookup), <c>p|</c> processes by pid then start,
/// <c>t|</c> tool calls by time, <c>i|</c> tool calls by id. Times are UTC ticks, numbers zero-padded, so ordinal
/// order is numeric order. Text parts are escaped: every character but letters, digits, <c>.</c>, <c>:</c>,
/// <c>_</c> and <c>-</c> becomes <c>%XXXX</c>, so telemetry can neither break a key nor collide two.
/// </summary>
public static class LineageKeys
{
    /// <summary>Most characters of a command line or tool input kept (a Table property holds 32k characters).</summary>
    public const int MaxText = 4096;

    /// <summary>The partition of a sandbox.</summary>
    public static string Partition(string sandboxId) => Escape(sandboxId);

    /// <summary>The key of a connection.</summary>
    public static string Of(ConnectionRecord c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return string.Concat(ConnectionPrefix(c.DestinationIp, c.DestinationPort), Ticks(c.Time), "|", Escape(c.SourceIp), "|",
            c.SourcePort.ToString("D5", CultureInfo.InvariantCulture), "|", Escape(c.Transport));
    }

    /// <summary>The key of a process record.</summary>
    public static string Of(ProcessRecord p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return string.Concat(ProcessPrefix(p.Pid), Ticks(p.Start), p.FromParent ? "|parent" : "|start");
    }

    /// <summary>The time-ordered key of a tool call.</summary>
    public static string Of(ToolCallRecord t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return string.Concat("t|", Ticks(t.Time), "|", Escape(t.CallId));
    }

    /// <summary>The id key of a tool call.</summary>
    public static string ToolCallById(string callId) => "i|" + Escape(callId);

    /// <summary>Connections to one destination from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive): lower and upper key.</summary>
    public static (string From, string To) Connections(string destinationIp, long destinationPort, DateTimeOffset from, DateTimeOffset to)
    {
        var prefix = ConnectionPrefix(destinationIp, destinationPort);
        return (prefix + Ticks(from), prefix + Ticks(to));
    }

    /// <summary>Every record of one pid: lower and upper key.</summary>
    public static (string From, string To) Processes(long pid)
    {
        var prefix = ProcessPrefix(pid);
        return (prefix, prefix + "~");
    }

    /// <summary>Tool calls from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive): lower and upper key.</summary>
    public static (string From, string To) ToolCalls(DateTimeOffset from, DateTimeOffset to) => ("t|" + Ticks(from), "t|" + Ticks(to));

    /// <summary>Cuts a text to <see cref="MaxText"/>.</summary>
    public static string? Cut(string? text) => text is null || text.Length <= MaxText ? text : text[..MaxText];

    private static string ConnectionPrefix(string destinationIp, long destinationPort) =>
        string.Concat("c|", Escape(destinationIp), "|", destinationPort.ToString("D5", CultureInfo.InvariantCulture), "|");

    private static string ProcessPrefix(long pid) => string.Concat("p|", pid.ToString("D10", CultureInfo.InvariantCulture), "|");

    private static string Ticks(DateTimeOffset at) => Math.Max(0, at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>A text as a key part: escaped; past 200 characters cut and followed by a hash of the whole, so long ids stay apart.</summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length);
        if (value.Length > 200)
        {
            builder.Append(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, 16))).Append('%');
        }

        foreach (var c in value.AsSpan(0, Math.Min(value.Length, 200)))
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or ':' or '_' or '-')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
