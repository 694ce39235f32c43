from otter.test_files import test_case

OK_FORMAT = False

name = "avg_pool2d"
points = None

@test_case(points=None, hidden=False)
def test_avg_pool2d(avg_pool2d, max_pool2d):
    import lab_checks
    lab_checks.check_avg_pool2d(avg_pool2d, max_pool2d=max_pool2d)

