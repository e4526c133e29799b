using System.Net;
using System.Text.Json;

namespace AlertPipeline.Core.Enrich;

/// <summary>
/// Reads the sandbox inventory file (docs/telemetry-schema.md, "Sandbox inventory"): a JSON array of sandboxes. Accepts
/// the documented names (<c>email</c>, address <c>from</c>/<c>to</c>) and the stored ones (<c>ownerEmail</c>,
/// <c>validFrom</c>/<c>validTo</c>). An invalid row is reported with its line and skipped; the others load.
/// Not on the hot path: used by the CLI's import and replay.
/// </summary>
public static class SandboxInventoryJson
{
    /// <summary>The rows read and the problems of the rows skipped.</summary>
    public sealed record Result(IReadOnlyList<SandboxRecord> Sandboxes, IReadOnlyList<SkippedRow> Problems);

    /// <summary>Parses <paramref name="utf8"/>.</summary>
    public static Result Parse(ReadOnlySpan<byte> utf8)
    {
        var sandboxes = new List<SandboxRecord>();
        var problems = new List<SkippedRow>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                problems.Add(new SkippedRow(1, "the inventory must be a JSON array of sandboxes"));
                return new Result(sandboxes, problems);
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var line = LineOf(utf8, (int)reader.TokenStartIndex);
                using var row = JsonDocument.ParseValue(ref reader);
                var error = TryRead(row.RootElement, out var sandbox);
                if (error is null && seen.TryGetValue(sandbox!.Id, out var first))
                {
                    error = $"sandbox {sandbox.Id} is already defined on line {first}";
                }

                if (error is not null)
                {
                    problems.Add(new SkippedRow(line, error));
                    continue;
                }

                seen[sandbox!.Id] = line;
                sandboxes.Add(sandbox);
            }
        }
        catch (JsonException ex)
        {
            problems.Add(new SkippedRow((int)(ex.LineNumber ?? 0) + 1, $"not valid JSON, the rest of the file is skipped: {ex.Message}"));
        }

        return new Result(sandboxes, problems);
    }

    private static int LineOf(ReadOnlySpan<byte> utf8, int offset) => utf8[..offset].Count((byte)'\n') + 1;

    private static string? TryRead(JsonElement row, out SandboxRecord? sandbox)
    {
        sandbox = null;
        if (row.ValueKind != JsonValueKind.Object)
        {
            return "a sandbox must be a JSON object";
        }

        var id = String(row, "id");
        if (string.IsNullOrWhiteSpace(id))
        {
            return "a sandbox needs an id";
        }

        var addresses = new List<SandboxAddress>();
        if (row.TryGetProperty("addresses", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array)
            {
                return $"sandbox {id}: addresses must be an array";
            }

            foreach (var address in list.EnumerateArray())
            {
                var ip = address.ValueKind == JsonValueKind.Object ? String(address, "ip") : null;
                if (ip is null || !IPAddress.TryParse(ip, out _))
                {
                    return $"sandbox {id}: an address needs an ip that is an IPv4 or IPv6 address";
                }

                if (!TryTime(address, "from", "validFrom", out var from) || from is null)
                {
                    return $"sandbox {id}: address {ip} needs a valid \"from\" time (ISO-8601)";
                }

                if (!TryTime(address, "to", "validTo", out var to) || to <= from)
                {
                    return $"sandbox {id}: address {ip} has a \"to\" that is not a time after \"from\"";
                }

                addresses.Add(new SandboxAddress(ip, from.Value, to));
            }
        }

        var egress = new List<string>();
        if (row.TryGetProperty("allowedEgress", out var allowed) && allowed.ValueKind != JsonValueKind.Null)
        {
            if (allowed.ValueKind != JsonValueKind.Array)
            {
                return $"sandbox {id}: allowedEgress must be an array";
            }

            foreach (var entry in allowed.EnumerateArray())
            {
                var text = entry.ValueKind == JsonValueKind.String ? entry.GetString()! : null;
                if (text is null || !(EgressPolicy.TryParseCidr(text) || EgressPolicy.IsDomain(text)))
                {
                    return $"sandbox {id}: allowedEgress entry {entry.GetRawText()} is neither an IP CIDR nor a domain";
                }

                egress.Add(text);
            }
        }

        var gpuError = TryReadGpu(row, id, out var gpus, out var gpuProcesses, out var schedule);
        if (gpuError is not null)
        {
            return gpuError;
        }

        if (row.TryGetProperty("protected", out var isProtected) && isProtected.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
        {
            return $"sandbox {id}: protected must be true or false";
        }

        sandbox = new SandboxRecord
        {
            Id = id,
            Owner = String(row, "owner"),
            OwnerEmail = String(row, "email") ?? String(row, "ownerEmail"),
            Team = String(row, "team"),
            Environment = String(row, "environment"),
            Protected = isProtected.ValueKind == JsonValueKind.True,
            CommandQueue = String(row, "commandQueue"),
            Addresses = addresses,
            AllowedEgress = egress,
            Gpus = gpus,
            GpuProcesses = gpuProcesses,
            Schedule = schedule,
        };
        return null;
    }

    /// <summary>Reads <c>gpus</c>, <c>gpuProcesses</c> and <c>schedule</c> (docs/telemetry-schema.md, "Sandbox inventory").</summary>
    private static string? TryReadGpu(JsonElement row, string id, out List<string> gpus, out List<string> processes, out List<SandboxRunWindow> schedule)
    {
        gpus = [];
        processes = [];
        schedule = [];
        var error = TryReadStrings(row, "gpus", id, gpus, "a GPU UUID or a whole-number index");
        if (error is not null)
        {
            return error;
        }

        error = TryReadStrings(row, "gpuProcesses", id, processes, "a process name");
        if (error is not null)
        {
            return error;
        }

        if (!row.TryGetProperty("schedule", out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            return $"sandbox {id}: schedule must be an array";
        }

        foreach (var window in list.EnumerateArray())
        {
            var state = window.ValueKind == JsonValueKind.Object ? String(window, "state") : null;
            RunState? parsed = state?.ToLowerInvariant() switch
            {
                "active" => RunState.Active,
                "idle" => RunState.Idle,
                _ => null,
            };
            if (parsed is null)
            {
                return $"sandbox {id}: a schedule window needs a state of \"active\" or \"idle\"";
            }

            if (!TryTime(window, "from", "validFrom", out var from) || from is null)
            {
                return $"sandbox {id}: schedule window {state} needs a valid \"from\" time (ISO-8601)";
            }

            if (!TryTime(window, "to", "validTo", out var to) || to <= from)
            {
                return $"sandbox {id}: schedule window {state} has a \"to\" that is not a time after \"from\"";
            }

            schedule.Add(new SandboxRunWindow(parsed.Value, from.Value, to));
        }

        return null;
    }

    private static string? TryReadStrings(JsonElement row, string name, string id, List<string> into, string what)
    {
        if (!row.TryGetProperty(name, out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            return $"sandbox {id}: {name} must be an array";
        }

        foreach (var entry in list.EnumerateArray())
        {
            // GPUs may be written as numbers (an index); everything else is a non-blank string without spaces.
            var text = entry.ValueKind switch
            {
                JsonValueKind.String => entry.GetString()!,
                JsonValueKind.Number when name == "gpus" && entry.TryGetInt64(out var n) && n >= 0 => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            };
            if (string.IsNullOrWhiteSpace(text) || text.Any(char.IsWhiteSpace) || text.Length > 256)
            {
                return $"sandbox {id}: {name} entry {entry.GetRawText()} is not {what}";
            }

            into.Add(text);
        }

        return null;
    }

    private static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Reads <paramref name="name"/> (or <paramref name="alias"/>): absent or null is a null time; false for anything unreadable.</summary>
    private static bool TryTime(JsonElement element, string name, string alias, out DateTimeOffset? time)
    {
        time = null;
        if (!element.TryGetProperty(name, out var value) && !element.TryGetProperty(alias, out value))
        {
            return true;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var parsed))
        {
            time = parsed;
            return true;
        }

        return false;
    }
}
