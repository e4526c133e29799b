using System.Text.Json;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary><c>alertpipe rules validate</c> over the fixture rules in Fixtures/validate (2 ok, 1 unsupported, 2 errors).</summary>
public sealed class RulesValidateCommandTests
{
    private static readonly string Fixtures = Path.Combine(CliRun.RepoRoot, "tests", "AlertPipeline.Cli.Tests", "Fixtures", "validate");

    private static string Fixture(string relative) => Path.Combine(Fixtures, relative.Replace('/', Path.DirectorySeparatorChar));

    [Fact]
    public async Task Text_output_lists_each_file_that_is_not_ok_and_a_summary()
    {
        var run = await CliRun.RunAsync("rules", "validate", Fixtures);

        Assert.Equal(1, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(
            [
                $"{Fixture("linux/typo_field.yml")}:9:5: error: unknown field 'Imgae'",
                $"{Fixture("windows/bad_regex.yml")}:10:21: error: invalid regular expression: ",
                $"{Fixture("windows/run_key.yml")}:5:3: unsupported: unsupported logsource (category 'registry_set', product 'windows')",
                "5 rule files: 2 ok, 1 unsupported, 2 error (60.0% parsed)",
            ],
            lines.Select(l => l.Contains("invalid regular expression", StringComparison.Ordinal) ? l[..(l.IndexOf("expression: ", StringComparison.Ordinal) + 12)] : l));
        Assert.Equal("", run.Stderr);
    }

    [Fact]
    public async Task Json_output_is_one_object_per_rule_file()
    {
        var run = await CliRun.RunAsync("rules", "validate", Fixtures, "--output", "json");

        Assert.Equal(1, run.ExitCode);
        var objects = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(o => Path.GetFileName(o.GetProperty("path").GetString()!));
        Assert.Equal(5, objects.Count);

        Assert.Equal("ok", objects["reverse_tunnel.yml"].GetProperty("status").GetString());
        Assert.Equal("7f3c2a10-0001-4c1e-9a55-000000000001", objects["reverse_tunnel.yml"].GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, objects["reverse_tunnel.yml"].GetProperty("reason").ValueKind);
        Assert.Equal("ok", objects["miner_pool.yaml"].GetProperty("status").GetString());

        var unsupported = objects["run_key.yml"];
        Assert.Equal("unsupported", unsupported.GetProperty("status").GetString());
        Assert.Equal("7f3c2a10-0004-4c1e-9a55-000000000004", unsupported.GetProperty("id").GetString());
        Assert.Equal("unsupported logsource (category 'registry_set', product 'windows')", unsupported.GetProperty("reason").GetString());
        Assert.Equal(5, unsupported.GetProperty("line").GetInt32());

        Assert.Equal("error", objects["bad_regex.yml"].GetProperty("status").GetString());
        Assert.StartsWith("invalid regular expression", objects["bad_regex.yml"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("error", objects["typo_field.yml"].GetProperty("status").GetString());
        Assert.Equal(Fixture("linux/typo_field.yml"), objects["typo_field.yml"].GetProperty("path").GetString());

        // stdout stays pure JSON lines; the summary goes to stderr.
        Assert.Equal("5 rule files: 2 ok, 1 unsupported, 2 error (60.0% parsed)", run.Stderr.Trim());
    }

    [Fact]
    public async Task Unsupported_rules_alone_exit_zero()
    {
        var run = await CliRun.RunAsync("rules", "validate", Fixture("linux/reverse_tunnel.yml"), Fixture("windows/run_key.yml"));

        Assert.Equal(0, run.ExitCode);
        Assert.EndsWith("2 rule files: 1 ok, 1 unsupported, 0 error (100.0% parsed)", run.Stdout.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_explains_the_statuses_and_exit_codes()
    {
        var run = await CliRun.RunAsync("rules", "validate", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("unsupported  a valid rule for a log source we do not ingest", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("exit 0 when no file is an error, 1 when any is", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--output", "xml")]
    [InlineData("--storage", "x")]
    [InlineData("no-such-dir")]
    [InlineData]
    public async Task Bad_arguments_exit_two_before_any_output(params string[] extra)
    {
        var run = await CliRun.RunAsync(["rules", "validate", .. extra.Length > 0 && extra[0].StartsWith("--", StringComparison.Ordinal) ? [Fixtures, .. extra] : extra]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.StartsWith("alertpipe: ", run.Stderr, StringComparison.Ordinal);
    }
}
