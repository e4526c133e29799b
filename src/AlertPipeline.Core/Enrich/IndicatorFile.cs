using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AlertPipeline.Core.Enrich;

/// <summary>
/// Reads an indicator file (docs/indicators.md): a JSON array of objects, or CSV with a header line, each row a
/// <c>value</c> (IP address, CIDR or domain), <c>source</c>, <c>kind</c>, optional <c>description</c> and <c>expires</c>.
/// An invalid row is reported with its line and skipped; the others load. Not on the hot path: used by the CLI's import
/// and replay.
/// </summary>
public static class IndicatorFile
{
    /// <summary>Longest source (it is a Table PartitionKey).</summary>
    public const int MaxSourceLength = 128;

    /// <summary>Longest description kept.</summary>
    public const int MaxDescriptionLength = 1024;

    private static readonly string[] Columns = ["value", "source", "kind", "description", "expires"];

    /// <summary>The indicators read and the problems of the rows skipped.</summary>
    public sealed record Result(IReadOnlyList<ThreatIndicator> Indicators, IReadOnlyList<SkippedRow> Problems);

    /// <summary>Parses <paramref name="utf8"/>: JSON when its first character is <c>[</c>, CSV otherwise.</summary>
    public static Result Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        var first = utf8.IndexOfAnyExcept(" \t\r\n"u8);
        return first >= 0 && utf8[first] == (byte)'[' ? ParseJson(utf8) : ParseCsv(Encoding.UTF8.GetString(utf8));
    }

    private static Result ParseJson(ReadOnlySpan<byte> utf8)
    {
        var rows = new Rows();
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var line = utf8[..(int)reader.TokenStartIndex].Count((byte)'\n') + 1;
                using var row = JsonDocument.ParseValue(ref reader);
                if (row.RootElement.ValueKind != JsonValueKind.Object)
                {
                    rows.Skip(line, "an indicator must be a JSON object");
                    continue;
                }

                var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
                string? error = null;
                foreach (var property in row.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null)
                    {
                        fields[property.Name] = property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.GetString();
                    }
                    else if (Columns.Contains(property.Name, StringComparer.Ordinal))
                    {
                        error ??= $"{property.Name} must be a string";
                    }
                }

                if (error is not null)
                {
                    rows.Skip(line, error);
                }
                else
                {
                    rows.Add(line, fields.GetValueOrDefault("value"), fields.GetValueOrDefault("source"), fields.GetValueOrDefault("kind"),
                        fields.GetValueOrDefault("description"), fields.GetValueOrDefault("expires"));
                }
            }
        }
        catch (JsonException ex)
        {
            rows.Skip((int)(ex.LineNumber ?? 0) + 1, $"not valid JSON, the rest of the file is skipped: {ex.Message}");
        }

        return rows.ToResult();
    }

    private static Result ParseCsv(string text)
    {
        var rows = new Rows();
        var lines = text.Split('\n');
        int[]? columnOf = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (!TrySplitCsv(line, out var cells))
            {
                rows.Skip(i + 1, "a quoted cell is not closed (a cell cannot span lines)");
                continue;
            }

            if (columnOf is null)
            {
                // The header names the columns, in any order.
                columnOf = [.. Columns.Select(c => cells.FindIndex(h => string.Equals(h.Trim(), c, StringComparison.OrdinalIgnoreCase)))];
                if (columnOf[0] < 0 || columnOf[1] < 0 || columnOf[2] < 0)
                {
                    rows.Skip(i + 1, "the first line must be a header naming at least the columns value, source and kind");
                    return rows.ToResult();
                }

                continue;
            }

            string? Cell(int column) => columnOf[column] >= 0 && columnOf[column] < cells.Count && cells[columnOf[column]].Length > 0
                ? cells[columnOf[column]]
                : null;
            rows.Add(i + 1, Cell(0), Cell(1), Cell(2), Cell(3), Cell(4));
        }

        if (columnOf is null)
        {
            rows.Skip(1, "the file is neither a JSON array nor CSV with a header line");
        }

        return rows.ToResult();
    }

    /// <summary>RFC 4180 cells of one line: commas separate, double quotes enclose, <c>""</c> is a quote.</summary>
    private static bool TrySplitCsv(string line, out List<string> cells)
    {
        cells = [];
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"' && cell.ToString().Trim().Length == 0)
            {
                cell.Clear();
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString().Trim());
        return !quoted;
    }

    /// <summary>Validates rows and collects them, refusing a second row of the same source and value.</summary>
    private sealed class Rows
    {
        private readonly List<ThreatIndicator> _indicators = [];
        private readonly List<SkippedRow> _problems = [];
        private readonly Dictionary<(string, string), int> _seen = [];

        public void Skip(int line, string message) => _problems.Add(new SkippedRow(line, message));

        public void Add(int line, string? value, string? source, string? kind, string? description, string? expires)
        {
            var error = Validate(value, source, kind, description, expires, out var indicator);
            if (error is null && _seen.TryGetValue((indicator!.Source, indicator.Value), out var first))
            {
                error = $"{indicator.Value} of source {indicator.Source} is already defined on line {first}";
            }

            if (error is not null)
            {
                Skip(line, error);
                return;
            }

            _seen[(indicator!.Source, indicator.Value)] = line;
            _indicators.Add(indicator);
        }

        public Result ToResult() => new(_indicators, _problems);
    }

    private static string? Validate(string? value, string? source, string? kind, string? description, string? expires, out ThreatIndicator? indicator)
    {
        indicator = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return "an indicator needs a value";
        }

        if (ThreatIndicator.Canonicalize(value) is not { } canonical)
        {
            return $"value {Quote(value)} is neither an IP address, a CIDR nor a domain";
        }

        source = source?.Trim();
        if (string.IsNullOrEmpty(source) || source.Length > MaxSourceLength || source.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c)))
        {
            return $"{canonical}: source must be 1-{MaxSourceLength} characters without / \\ # ? or control characters";
        }

        kind = kind?.Trim();
        if (string.IsNullOrEmpty(kind) || kind.Length > 64 || !kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
        {
            return $"{canonical}: kind must be 1-64 lower-case letters, digits, - or _ (e.g. mining-pool, tunnel-service, threat-intel)";
        }

        if (description is { Length: > MaxDescriptionLength })
        {
            return $"{canonical}: description is longer than {MaxDescriptionLength} characters";
        }

        DateTimeOffset? until = null;
        if (!string.IsNullOrWhiteSpace(expires))
        {
            if (!DateTimeOffset.TryParse(expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return $"{canonical}: expires {Quote(expires)} is not a time (ISO-8601, e.g. 2026-12-31T00:00:00Z)";
            }

            until = parsed.ToUniversalTime();
        }

        indicator = new ThreatIndicator
        {
            Value = canonical,
            Source = source,
            Kind = kind,
            Description = string.IsNullOrWhiteSpace(description) ? null : description,
            Expires = until,
        };
        return null;
    }

    private static string Quote(string text) => text.Length <= 80 ? $"'{text}'" : $"'{text[..77]}...'";
}
