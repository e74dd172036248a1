"""What a scientist checks for each real sample file, written from shared/nexus-samples/README.md.

start is the measurement start in UTC (naive times read in the facility's zone), None where the file has no time.
files counts the master plus every distinct external-link/VDS target file (present or missing); dangling counts the
links whose target is missing.
"""

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Expected:
    file: str
    title: str
    start: datetime | None
    facility: str
    instrument: str | None
    sample: str | None
    techniques: tuple[str, ...]
    proposal: str | None
    files: int = 1
    dangling: int = 0


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


REAL = [
    Expected(
        "exampledata/DLS_i04_Therm_6_2.nxs",
        "DLS_i04_Therm_6_2",
        utc(2019, 2, 14, 14, 25, 57),
        "DLS",
        "I04",
        None,
        ("PaNET01164",),
        None,
        files=2,
        dangling=1,
    ),
    Expected(
        "exampledata/DLS_i16_538039.nxs",
        "Scan of sample with GDA",
        None,
        "DLS",
        "I16",
        None,
        ("PaNET01102",),
        None,
        files=2,
        dangling=2,
    ),
    Expected(
        "exampledata/DLS_p45-1168.nxs",
        "DLS_p45-1168",
        None,
        "DLS",
        "P45",
        None,
        ("PaNET01285",),
        None,
        files=2,
        dangling=6,
    ),
    Expected(
        "exampledata/DLS_thaumatin_integrated.nxs",
        "DLS_thaumatin_integrated",
        utc(2020, 1, 28, 16, 3, 25),
        "DLS",
        None,
        None,
        ("PaNET01164",),
        None,
    ),
    Expected(
        "exampledata/APS_9IDC_NXsas_nexus-example.hdf5",
        "NeXus NXsas example",
        utc(2016, 6, 23, 18, 2, 31),
        "APS",
        "9-ID-C",
        None,
        ("PaNET01188",),
        None,
    ),
    Expected(
        "exampledata/APS_15IDD_AgBehenate_228.hdf5",
        "Glassy carbon C6 fixed",
        utc(2011, 10, 23, 20, 28, 20),
        "APS",
        "15-ID-D",
        "Glassy carbon C6 fixed",
        ("PaNET01188",),
        None,
    ),
    Expected(
        "exampledata/APS_34ID_not_complete.h5",
        "APS_34ID_not_complete",
        utc(2009, 2, 12, 20, 58, 4),
        "APS",
        "34-ID",
        None,
        ("PaNET01102",),
        None,
    ),
    Expected(
        "exampledata/IPNS_LRMECS_lrcs3701.nx5",
        "MgB2 PDOS 43.37g 8K 120meV E0@240Hz T0@120Hz",
        utc(2001, 2, 7, 14, 54, 21),
        "IPNS",
        "LRMECS",
        None,
        ("PaNET01245", "PaNET01244"),
        None,
    ),
    Expected(
        "exampledata/ANSTO_Platypus_PLP0006018.nx.hdf",
        "Film3 90C Om=0.75",
        utc(2010, 12, 17, 2, 39, 45),
        "ANSTO",
        "Platypus",
        "Film3 90C Om=0.75",
        ("PaNET01239", "PaNET01001"),
        None,
    ),
    Expected(
        "exampledata/SLS_STXM_Sample_Stack_128.hdf5",
        "Sample",
        utc(2021, 3, 16, 15, 50, 18),
        "SLS",
        None,
        None,
        ("PaNET01219",),
        None,
    ),
    Expected(
        "exampledata/SOLEIL_DIFFABS_file_2.nxs",
        "redemarrage",
        utc(2008, 11, 18, 11, 41, 20),
        "SOLEIL",
        "DIFFABS",
        None,
        ("PaNET01216",),
        None,
    ),
    Expected(
        "exampledata/PSI_SINQ_DMC_dmc01.h5",
        "Ga0.94Mn0.04Sb_8mm 2.567A T=4",
        utc(2005, 5, 27, 3, 44, 13),
        "SINQ",
        "DMC",
        None,
        ("PaNET01100",),
        None,
    ),
    Expected(
        "exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf",
        "vanadium at 6AA and 300K",
        utc(2007, 9, 3, 14, 16, 36),
        "SINQ",
        "FOCUS",
        "vandi",
        ("PaNET01245", "PaNET01244"),
        None,
    ),
    Expected(
        "exampledata/PSI_SINQ_SANS_sans2009n012333.hdf",
        "High pressure experiments on vesicles",
        utc(2009, 9, 13, 18, 55, 37),
        "SINQ",
        "SANS",
        "11/50 22PC0.3%_heatingupto70C_800bar",
        ("PaNET01189",),
        None,
    ),
    Expected(
        "punx/APS_12IDB_S2p5min_00070_00001.h5",
        "APS_12IDB_S2p5min_00070_00001",
        utc(2022, 4, 19, 19, 41, 59),
        "APS",
        "12-ID-B",
        None,
        ("PaNET01188",),
        None,
    ),
    Expected(
        "punx/APS_9IDC_USAXS_flyScan_GC_M4_NewD_15.h5",
        "GC_M4_NewD",
        None,
        "APS",
        "9-ID-C",
        "GC_M4_NewD",
        ("PaNET01241",),
        None,
    ),
    Expected(
        "punx/APS_33ID_spec_22_2D.hdf5",
        "22  mesh  eta 57 57.1 10  chi 90.9 91 10  1",
        None,
        "APS",
        "33-ID",
        None,
        ("PaNET01216",),
        None,
    ),
    Expected(
        "punx/SOLEIL_SIXS_scan101.nxs",
        "SOLEIL_SIXS_scan101",
        utc(2013, 9, 28, 3, 50, 48),
        "SOLEIL",
        "SIXS",
        None,
        ("PaNET01172",),
        None,
    ),
    Expected(
        "punx/NIST_SANS_cs_af1410.h5",
        "AF1410-10 (AF1410 steel aged 10 h)",
        None,
        "NCNR",
        "CNRF SANS",
        None,
        ("PaNET01189",),
        None,
    ),
    Expected(
        "sasdata/ISIS_LARMOR_14250_2D_NXcanSAS_v3.h5",
        "High C high V 63, 900oC, 10h 1.65T_SANS",
        None,
        "ISIS",
        "LARMOR",
        None,
        ("PaNET01189",),
        None,
    ),
    Expected("sasdata/APS_Nika_FK403_0006.hdf", "FK403_0006_270_30", None, "APS", None, None, ("PaNET01188",), None),
    Expected(
        "NXcanSAS_examples/DLS_I22_gc14.h5",
        "glassy carbon C14 at Diamond I22 at 8.9keV",
        None,
        "DLS",
        "I22",
        None,
        ("PaNET01188",),
        None,
    ),
    Expected(
        "NXcanSAS_examples/ILL_D22_sasxml_example.h5",
        "ILL-D22 example: 7D1 2mm",
        None,
        "ILL",
        "D22",
        None,
        ("PaNET01189",),
        None,
    ),
    Expected(
        "Savu/DLS_I13_24888.nxs",
        "Mg[2]33C1",
        utc(2014, 1, 31, 6, 37, 56),
        "DLS",
        "I13",
        None,
        ("PaNET01207",),
        "mt9396-1",
        files=2,
        dangling=4,
    ),
    Expected(
        "Savu/DLS_multimodal_mm.nxs",
        "DLS_multimodal_mm",
        None,
        "DLS",
        None,
        None,
        ("PaNET01177", "PaNET01219", "PaNET01216"),
        None,
    ),
    Expected(
        "httomo/k11-18014.nxs",
        "k11-18014",
        datetime(2022, 10, 15, 12, 49, 39, 357000, tzinfo=UTC),
        "DLS",
        "K11 DIAD",
        None,
        ("PaNET01207",),
        "mg32775-1",
        files=5,
        dangling=34,
    ),
    Expected(
        "scicat-ingestor/ESS_ODIN_small-coda.hdf",
        "odin",
        datetime(2024, 10, 28, 9, 6, 41, 186000, tzinfo=UTC),
        "ESS",
        "ODIN",
        "A Sample",
        ("PaNET01129", "PaNET00101"),
        "443503",
    ),
    Expected(
        "scicat-ingestor/ESS_YMIR_small-ymir.hdf",
        "october 28th, lego test 1, cont",
        datetime(2024, 10, 28, 9, 32, 35, 895000, tzinfo=UTC),
        "ESS",
        "YMIR",
        "some sample",
        ("PaNET01249",),
        "876380",
    ),
    Expected(
        "RefRed/SNS_REF_L_188300.nxs.h5",
        "Si vs D2O-188298-3.",
        datetime(2021, 9, 9, 13, 40, 12, 425250, tzinfo=UTC),
        "SNS",
        "REF_L",
        None,
        ("PaNET01239", "PaNET01001"),
        "IPTS-26010",
    ),
    Expected(
        "pynxtools-xps/BESSY_Cu-HHTP.ibw.nxs",
        "Cu-HTTP",
        utc(2023, 3, 8, 11, 58, 6),
        "BESSY II",
        "R3000-6MS014",
        "Cu-HHTP",
        ("PaNET01204",),
        None,
    ),
]
LINK_TARGETS = ["httomo/k11-18014/k11-18014-imaging.h5", "httomo/k11-18014/k11-18014-pcompPanda.h5"]
TIME_ZONES = {
    "DLS": "Europe/London",
    "APS": "America/Chicago",
    "IPNS": "America/Chicago",
    "ANSTO": "Australia/Sydney",
    "SLS": "Europe/Zurich",
    "SINQ": "Europe/Zurich",
    "SOLEIL": "Europe/Paris",
    "NCNR": "America/New_York",
    "ISIS": "Europe/London",
    "ILL": "Europe/Paris",
    "ESS": "Europe/Stockholm",
    "SNS": "America/New_York",
    "BESSY II": "Europe/Berlin",
}
# Synthetic files: the generic PaNET term of the definition named by the file (README: the name is the truth).
SYNTHETIC = {
    "NXarchive": None,
    "NXarpes": "PaNET01089",
    "NXcanSAS": "PaNET01124",
    "NXdirecttof": "PaNET01245",
    "NXfluo": "PaNET01177",
    "NXindirecttof": "PaNET01245",
    "NXiqproc": "PaNET00200",
    "NXlauetof": "PaNET01236",
    "NXmonopd": "PaNET01030",
    "NXmx": "PaNET01164",
    "NXrefscan": "PaNET01121",
    "NXreftof": "PaNET01239",
    "NXsas": "PaNET01124",
    "NXsastof": "PaNET01277",
    "NXscan": None,
    "NXspe": "PaNET01245",
    "NXsqom": "PaNET01034",
    "NXstxm": "PaNET01219",
    "NXtas": "PaNET01245",
    "NXtofnpd": "PaNET01100",
    "NXtofraw": "PaNET01001",
    "NXtofsingle": "PaNET01236",
    "NXtomo": "PaNET01129",
    "NXtomophase": "PaNET01129",
    "NXtomoproc": "PaNET01129",
    "NXxas": "PaNET01196",
    "NXxasproc": "PaNET01196",
    "NXxbase": "PaNET01029",
    "NXxeuler": "PaNET01029",
    "NXxkappa": "PaNET01029",
    "NXxlaue": "PaNET01029",
    "NXxlaueplate": "PaNET01029",
    "NXxnb": "PaNET01029",
    "NXxrot": "PaNET01029",
}


# Where each real file holds a value of the PaNOSC parameter vocabulary (its path in the file) and the name it comes
# out under. Files not listed hold none (audited with h5py over every field named like a vocabulary quantity).
QUANTITIES: dict[str, dict[str, str]] = {
    "exampledata/DLS_i04_Therm_6_2.nxs": {
        "incident_wavelength": "/entry/instrument/beam/incident_wavelength",
        "detector_distance": "/entry/instrument/detector/detector_distance",
        "exposure_time": "/entry/instrument/detector/count_time",
    },
    "exampledata/DLS_i16_538039.nxs": {
        "incident_wavelength": "/entry1/sample/beam/incident_wavelength",
        "incident_photon_energy": "/entry1/sample/beam/incident_energy",
        "source_current": "/entry1/instrument/source/current",
    },
    "exampledata/DLS_p45-1168.nxs": {"exposure_time": "/entry/instrument/mic/count_time"},
    "exampledata/APS_9IDC_NXsas_nexus-example.hdf5": {
        "incident_wavelength": "/entry/instrument/monochromator/wavelength",
        "incident_photon_energy": "/entry/instrument/monochromator/energy",
        "source_current": "/entry/instrument/source/current",
        "detector_distance": "/entry/instrument/detector/distance",
    },
    "exampledata/APS_15IDD_AgBehenate_228.hdf5": {
        "incident_wavelength": "/entry/instrument/monochromator/wavelength",
        "incident_photon_energy": "/entry/instrument/monochromator/energy",
        "detector_distance": "/entry/instrument/detector/distance",
    },
    "exampledata/IPNS_LRMECS_lrcs3701.nx5": {"incident_energy": "/Histogram1/instrument/monochromator/energy"},
    "exampledata/SLS_STXM_Sample_Stack_128.hdf5": {"source_current": "/entry1/instrument/source/current"},
    "exampledata/PSI_SINQ_DMC_dmc01.h5": {
        "incident_wavelength": "/entry1/DMC/Monochromator/lambda",
        "sample_temperature": "/entry1/sample/sample_temperature",
    },
    "exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf": {
        "incident_wavelength": "/entry1/FOCUS/monochromator/lambda",
        "incident_energy": "/entry1/FOCUS/monochromator/energy",
        "sample_temperature": "/entry1/sample/temperature",
        "detector_distance": "/entry1/FOCUS/bank1/distance",
    },
    "exampledata/PSI_SINQ_SANS_sans2009n012333.hdf": {"incident_wavelength": "/entry1/SANS/Dornier-VS/lambda"},
    "punx/APS_9IDC_USAXS_flyScan_GC_M4_NewD_15.h5": {
        "incident_wavelength": "/entry/instrument/monochromator/wavelength",
        "incident_photon_energy": "/entry/instrument/monochromator/energy",
    },
    "punx/SOLEIL_SIXS_scan101.nxs": {
        "incident_wavelength": "/com_05551/SIXS/Monochromator/wavelength",
        "incident_photon_energy": "/com_05551/SIXS/Monochromator/energy",
    },
    "punx/NIST_SANS_cs_af1410.h5": {"incident_wavelength": "/AF1410_10/sasinstrument/sassource/incident_wavelength"},
    "sasdata/APS_Nika_FK403_0006.hdf": {
        "incident_wavelength": "/FK403_0006_270_30/instrument/source/incident_wavelength"
    },
    "NXcanSAS_examples/DLS_I22_gc14.h5": {
        "incident_wavelength": "/sasentry/sasinstrument/sassource/incident_wavelength",
    },
    "NXcanSAS_examples/ILL_D22_sasxml_example.h5": {
        "incident_wavelength": "/sasentry/sasinstrument/sassource/incident_wavelength",
        "sample_temperature": "/sasentry/sassample/temperature",
    },
    "Savu/DLS_multimodal_mm.nxs": {
        "incident_wavelength": "/entry1/fluo_entry/instrument/monochromator/wavelength",
        "incident_photon_energy": "/entry1/fluo_entry/instrument/monochromator/energy",
        "detector_distance": "/entry1/xrd_entry/instrument/detector/distance",
    },
    "httomo/k11-18014.nxs": {
        "source_current": "/entry/instrument/source/current",
        "exposure_time": "/entry/instrument/EtherCAT/count_time",
    },
    "pynxtools-xps/BESSY_Cu-HHTP.ibw.nxs": {
        "incident_photon_energy": "/Cu_HHTP__005__VB/instrument/beam_probe/incident_energy",
        "sample_temperature": "/Cu_HHTP__005__VB/instrument/manipulator/temperature_sensor/value",
    },
}

# Vocabulary-like values a file holds that are not extracted, and why (the README's table lists them).
NOT_EXTRACTED: dict[str, dict[str, str]] = {
    "exampledata/APS_34ID_not_complete.h5": {
        "/entry1/sample/incident_energy": "in NXsample, where NeXus defines no incident energy; no unit written",
    },
    "exampledata/SLS_STXM_Sample_Stack_128.hdf5": {
        "/entry1/control/energy": "the scanned energies of a stack (NXmonitor), not one incident energy",
    },
    "punx/APS_12IDB_S2p5min_00070_00001.h5": {
        "/entry/Metadata/Energy": "a unit-less copy (13300) in an NXcollection, kept as Metadata.Energy",
    },
    "exampledata/APS_15IDD_AgBehenate_228.hdf5": {
        "/entry/instrument/15ID-D metadata/wavelength": "a copy in an NXcollection; the monochromator's is taken",
    },
    "exampledata/ANSTO_Platypus_PLP0006018.nx.hdf": {
        "/entry1/instrument/parameters/detector_distance": "in a group without NX class (parameters)",
    },
    "exampledata/PSI_SINQ_SANS_sans2009n012333.hdf": {
        "/entry1/SANS/detector/temperature": "the detector's temperature, not the sample's",
    },
}
