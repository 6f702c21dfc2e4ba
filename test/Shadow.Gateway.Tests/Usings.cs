global using Orleans;
global using Shouldly;
