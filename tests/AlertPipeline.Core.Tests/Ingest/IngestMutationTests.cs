using System.Text;
using System.Text.RegularExpressions;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using static AlertPipeline.Core.Tests.Ingest.IngestTestKit;

namespace AlertPipeline.Core.Tests.Ingest;

/// <summary>
/// Random mutations of every sample (truncation, wrong types, huge strings, deep nesting, invalid UTF-8, stray bytes)
/// with a fixed seed: ingesting never throws, a mutated record is either read or dead-lettered with a reason, and
/// every other record of its body comes out exactly as it does unmutated.
/// </summary>
public sealed partial class IngestMutationTests
{
    private const int MutationsPerSample = 120;

    private static readonly TelemetryIngestor Ingestor = new();

    private static string[] SampleNames()
    {
        var root = Path.Combine(AppContext.BaseDirectory, "Ingest", "Formats", "Samples");
        return [.. Directory.EnumerateFiles(root, "*.json*", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(root, file).Replace('\\', '/')).Order(StringComparer.Ordinal)];
    }

    public static TheoryData<string> Samples() => new(SampleNames());

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_mutated_record_never_throws_and_never_costs_its_neighbours(string sample)
    {
        var random = new Random(HashOf(sample));
        var original = Sample(sample);
        var isLines = sample.EndsWith(".jsonl", StringComparison.Ordinal);
        var lines = isLines
            ? Encoding.UTF8.GetString(original).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Encoding.UTF8.GetBytes).ToArray()
            : [original];
        var reference = Run(Join(lines));
        Assert.Empty(reference.Rejects);

        var rejectedBy = new HashSet<Mutation>();
        for (var m = 0; m < MutationsPerSample; m++)
        {
            // The first line decides the body's format, so with several lines another one is mutated.
            var target = lines.Length > 1 ? random.Next(1, lines.Length) : 0;
            var kind = (Mutation)random.Next(Enum.GetValues<Mutation>().Length);
            var mutated = lines.ToArray();
            mutated[target] = Mutate(lines[target], kind, random);

            var batch = Run(Join(mutated));

            var context = $"{sample}: {kind} of line {target} (mutation {m})";
            if (batch.Rejects.Count > 0)
            {
                rejectedBy.Add(kind);
            }

            Assert.All(batch.Rejects, r =>
            {
                Assert.False(string.IsNullOrWhiteSpace(r.Reason), context);
                Assert.False(string.IsNullOrWhiteSpace(r.Detail), context);
                Assert.True(r.Excerpt.Length <= RejectedEvent.MaxExcerptBytes + 1, context);
            });
            if (!isLines)
            {
                // One envelope: records after a syntax error are skipped with it, so only the accounting is checked.
                Assert.True(batch.Count + batch.Rejects.Count >= 1, context);
                continue;
            }

            var expected = Enumerable.Range(0, reference.Count).Where(i => reference.Position(i).Record != target)
                .ToDictionary(i => reference.Position(i).Record, reference.Fields);
            var actual = Enumerable.Range(0, batch.Count).ToDictionary(i => batch.Position(i).Record, batch.Fields);
            foreach (var (record, fields) in expected)
            {
                Assert.True(actual.TryGetValue(record, out var got), $"{context}: record {record} was lost");
                Assert.Equal(fields, got);
            }

            var outcomes = (actual.ContainsKey(target) ? 1 : 0) + batch.Rejects.Count(r => r.Position.Record == target);
            Assert.True(outcomes == 1, $"{context}: the mutated record was {(outcomes == 0 ? "neither read nor rejected" : "counted twice")}");
            Assert.All(batch.Rejects, r => Assert.Equal(target, r.Position.Record));
        }

        // The mutations really broke records: truncation and deep nesting always do.
        Assert.Contains(Mutation.Truncate, rejectedBy);
        Assert.Contains(Mutation.DeepArrays, rejectedBy);
    }

    [Fact]
    public void A_mutated_single_message_of_any_format_is_read_or_dead_lettered()
    {
        var random = new Random(20251114);
        var bodies = SampleNames().Select(Sample)
            .SelectMany(b => Encoding.UTF8.GetString(b).Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        for (var m = 0; m < 400; m++)
        {
            var kind = (Mutation)random.Next(Enum.GetValues<Mutation>().Length);
            var body = Mutate(Encoding.UTF8.GetBytes(bodies[random.Next(bodies.Length)]), kind, random);

            var batch = Run(body);

            Assert.True(batch.Count + batch.Rejects.Count >= 1, $"{kind} (mutation {m}) left no trace");
        }
    }

    private static EventBatch Run(byte[] body)
    {
        var batch = new EventBatch(4);
        Ingestor.Ingest(new TelemetryMessage(body, StreamName, 3, DateTimeOffset.UnixEpoch), batch);
        Assert.False(batch.HasOpenEvent);
        return batch;
    }

    private static byte[] Join(byte[][] lines) => [.. lines.SelectMany((l, i) => i == 0 ? l : [(byte)'\n', .. l])];

    private enum Mutation
    {
        Truncate,
        WrongType,
        HugeString,
        DeepArrays,
        DeepObjects,
        InvalidUtf8,
        StrayBytes,
    }

    private static readonly string[] WrongTypes =
        ["{}", "[]", "[1,{\"x\":null},\"s\"]", "123456789012345678901234567890", "-1e400", "\"\"", "true", "null", "{\"a\":{\"b\":[\"c\"]}}", "0.5"];

    private static byte[] Mutate(byte[] line, Mutation kind, Random random)
    {
        var text = Encoding.UTF8.GetString(line);
        var values = ValuePattern().Matches(text);
        var value = values.Count == 0 ? null : values[random.Next(values.Count)].Groups["value"];
        byte[] Replace(string replacement) => value is null
            ? Encoding.UTF8.GetBytes(replacement)
            : Encoding.UTF8.GetBytes(text[..value.Index] + replacement + text[(value.Index + value.Length)..]);

        switch (kind)
        {
            case Mutation.Truncate:
                return line[..random.Next(1, line.Length)];
            case Mutation.WrongType:
                return Replace(WrongTypes[random.Next(WrongTypes.Length)]);
            case Mutation.HugeString:
                return Replace("\"" + new string('A', 200_000) + string.Concat(Enumerable.Repeat("\\u00e9\\\"", 5_000)) + "\"");
            case Mutation.DeepArrays:
                var depth = random.Next(30, 5_000);
                return Replace(new string('[', depth) + "1" + new string(']', depth));
            case Mutation.DeepObjects:
                var levels = random.Next(30, 1_000);
                return Replace(string.Concat(Enumerable.Repeat("{\"a\":", levels)) + "1" + new string('}', levels));
            case Mutation.InvalidUtf8:
                var strings = values.Where(v => v.Groups["value"].Value.StartsWith('"')).ToArray();
                if (strings.Length == 0)
                {
                    return [.. line, 0xFF];
                }

                var inside = strings[random.Next(strings.Length)].Groups["value"];
                var at = Encoding.UTF8.GetByteCount(text[..(inside.Index + 1)]);
                byte[][] bad = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82]];
                return [.. line[..at], .. bad[random.Next(bad.Length)], .. line[at..]];
            default:
                var copy = line.ToArray();
                for (var i = 0; i < 1 + random.Next(4); i++)
                {
                    // Never a newline: that would split the record into two, which is another test.
                    var b = (byte)random.Next(256);
                    copy[random.Next(copy.Length)] = b == (byte)'\n' ? (byte)'\\' : b;
                }

                return copy;
        }
    }

    private static int HashOf(string text)
    {
        // string.GetHashCode is randomised per process; the seed must not be.
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }

    [GeneratedRegex("\":\\s*(?<value>\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?|true|false|null)")]
    private static partial Regex ValuePattern();
}
