"""Matching's pure domain: the force as arrays, eligibility, the exact optimiser, alternatives and
explanations. No Flask, no database, no broker: everything here is a plain function of its inputs."""
