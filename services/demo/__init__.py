"""A seeded, plausible provincial police force for demos, tests and benchmarks."""
from services.demo.force import Certification, CountyStandards, Equipment, Force, Officer, Unit
from services.demo.generate import generate

__all__ = ["Certification", "CountyStandards", "Equipment", "Force", "Officer", "Unit", "generate"]
