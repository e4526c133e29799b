using System.Text.Json;

namespace AlertPipeline.Core.Respond.Policy;

/// <summary>
/// The JSON form of policy entries (docs/response-policy.md): an object with <c>id</c>, <c>level</c>, optional
/// <c>ruleId</c>, <c>team</c>, <c>environment</c>, <c>channels</c>, <c>recipients</c>, <c>templateId</c> and
/// <c>shutdown</c>; a policy file is an array of them. Reading checks only the JSON shape; what the values mean is
/// checked by <see cref="ResponsePolicy.Validate"/>. Used by the HTTP functions and the CLI, not on the hot path.
/// </summary>
public static class ResponsePolicyJson
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "id", "level", "ruleId", "team", "environment", "channels", "recipients", "templateId", "shutdown", "eTag",
    };

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 8 };

    /// <summary>
    /// Reads one entry from <paramref name="element"/>; <paramref name="id"/>, when given (the URL's), is used when the
    /// object has none and must equal it when it has one. Returns the problem, or null with <paramref name="entry"/> set.
    /// </summary>
    public static string? TryReadEntry(JsonElement element, string? id, out ResponsePolicyEntry? entry)
    {
        entry = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return "an entry must be a JSON object";
        }

        foreach (var property in element.EnumerateObject())
        {
            if (!Known.Contains(property.Name))
            {
                // A misspelt field would otherwise be dropped silently, e.g. "shutdwon": "off" leaving shutdown automatic.
                return $"unknown field '{SafeText.Clean(property.Name, 40)}'";
            }
        }

        string? problem = null;
        var bodyId = Text(element, "id", ref problem);
        if (id is not null && bodyId is not null && bodyId != id)
        {
            return $"the body's id '{SafeText.Clean(bodyId, 64)}' is not the id in the URL '{SafeText.Clean(id, 64)}'";
        }

        var level = Text(element, "level", ref problem);
        var candidate = new ResponsePolicyEntry
        {
            Id = bodyId ?? id ?? string.Empty,
            Level = level ?? string.Empty,
            RuleId = Text(element, "ruleId", ref problem),
            Team = Text(element, "team", ref problem),
            Environment = Text(element, "environment", ref problem),
            Channels = List(element, "channels", ref problem),
            Recipients = List(element, "recipients", ref problem),
            TemplateId = Text(element, "templateId", ref problem),
            Shutdown = Text(element, "shutdown", ref problem),
        };
        if (problem is not null)
        {
            return problem;
        }

        entry = candidate;
        return null;
    }

    /// <summary>Reads a policy file: a JSON array of entries. Returns the entries, or the problems (each naming its entry).</summary>
    public static (IReadOnlyList<ResponsePolicyEntry> Entries, IReadOnlyList<string> Problems) ReadFile(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, Options);
        }
        catch (JsonException ex)
        {
            return ([], [$"not JSON: {SafeText.Clean(ex.Message, 200)}"]);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return ([], ["a policy file must be a JSON array of entries"]);
            }

            var entries = new List<ResponsePolicyEntry>();
            var problems = new List<string>();
            var index = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                index++;
                var problem = TryReadEntry(element, null, out var entry);
                var where = $"entry {index}{(entry is null ? string.Empty : $" ({SafeText.Clean(entry.Id, 64)})")}";
                if (problem is not null)
                {
                    problems.Add($"{where}: {problem}");
                    continue;
                }

                problems.AddRange(ResponsePolicy.Validate(entry!).Select(p => $"{where}: {p}"));
                if (entries.Any(e => e.Id == entry!.Id))
                {
                    problems.Add($"{where}: id is given twice");
                }

                entries.Add(entry!);
            }

            return problems.Count == 0 ? (entries, []) : ([], problems);
        }
    }

    private static string? Text(JsonElement element, string name, ref string? problem)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            problem ??= $"'{name}' must be a string";
            return null;
        }

        return value.GetString();
    }

    private static string[] List(JsonElement element, string name, ref string? problem)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
        {
            problem ??= $"'{name}' must be an array of strings";
            return [];
        }

        return [.. value.EnumerateArray().Select(v => v.GetString()!)];
    }
}
